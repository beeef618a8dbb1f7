// The one way to make HTML (html``) and the one {{…}} filler: text is escaped by construction, HTML only goes in
// when it was built as HTML, and a value is never expanded as a template again.
import { describe, expect, it } from 'vitest';
import { fillHtmlTemplate, fillSlots, keepSections, templateNames } from '../../../src/render/fill-template.js';
import { attrs, html, joinHtml, trusted } from '../../../src/render/html.js';

describe('html``', () => {
  it('escapes text in content and attributes, and inserts HTML built with it as it is', () => {
    const name = `<script>alert("x")</script> & 'co'`;
    const item = html`<li title="${name}">${name}</li>`;
    expect(item.value).toBe('<li title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</li>');
    expect(html`<ul>${[item, item]}</ul>`.value).toBe(`<ul>${item.value}${item.value}</ul>`);
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
  });

  it('joins values with a separator and writes only the attributes that are set', () => {
    expect(joinHtml(['1 Main St', 'Springfield <US>'], html`<br>`).value).toBe('1 Main St<br>Springfield &lt;US&gt;');
    expect(attrs({ checked: true, disabled: false, 'aria-invalid': 'true', title: undefined, value: 'a"b' }).value)
      .toBe(' checked aria-invalid="true" value="a&quot;b"');
  });
});

describe('the {{…}} filler', () => {
  const template = '<h1>{{ title }}</h1>{{#if lede}}<p>{{lede}}</p>{{/if}}<div>{{{body}}}</div>';

  it('escapes {{text}}, takes HTML in {{{slots}}} and keeps a section only when its name is set', () => {
    expect(fillHtmlTemplate(template, { title: 'A & B', lede: '', body: html`<p>${'x<y'}</p>` }))
      .toBe('<h1>A &amp; B</h1><div><p>x&lt;y</p></div>');
    expect(fillHtmlTemplate(template, { title: 'T', lede: 'L', body: trusted('<b>b</b>') })).toBe('<h1>T</h1><p>L</p><div><b>b</b></div>');
  });

  it('refuses text in an HTML slot and a name nobody provided', () => {
    expect(() => fillHtmlTemplate(template, { title: 'T', lede: '', body: '<b>unsafe</b>' })).toThrow('takes HTML');
    expect(() => fillHtmlTemplate(template, { title: 'T', body: html`` })).toThrow('{{lede}}, which was not provided');
  });

  it('never expands a value that contains a placeholder', () => {
    expect(fillHtmlTemplate(template, { title: '{{lede}}', lede: 'L', body: html`{{title}}` })).toBe('<h1>{{lede}}</h1><p>L</p><div>{{title}}</div>');
    expect(fillSlots('{{a}} {{b}}', ({ name }) => (name === 'a' ? '{{b}}' : 'B'))).toBe('{{b}} B');
  });

  it('names every slot and section, and drops unset sections from plain text too', () => {
    expect(templateNames(template)).toEqual(['lede', 'title', 'lede', 'body']);
    expect(keepSections('a{{#if x}}\nb\n{{/if}}c', () => false)).toBe('ac');
  });
});

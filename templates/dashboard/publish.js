// Herald dashboard, publish page: every network's post, with its count against the network's limit, as the
// editor types (POST /api/social/preview); the editor's own texts are measured the same way.
'use strict';
(function () {
  var h = window.herald;
  var form = document.querySelector('[data-publish-form]');
  if (!form) return;
  var panel = form.querySelector('[data-social-preview]');
  var status = panel.querySelector('[data-preview-status]');
  var value = function (name) { var field = form.elements.namedItem(name); return field ? field.value : ''; };
  var latest = 0;

  function draft() {
    var body = {
      title: value('title'), url: value('url'), excerpt: value('excerpt'), html: value('html'),
      tags: value('tags').split(',').map(function (t) { return t.trim(); }).filter(Boolean),
      socialTexts: h.overrides(panel),
    };
    if (value('image').trim()) body.image = { url: value('image').trim(), alt: value('imageAlt') };
    return body;
  }

  var refresh = h.debounce(function () {
    var body = draft();
    if (!body.title.trim() || !body.url.trim()) {
      status.textContent = 'Type a title and the article URL to see the posts.';
      return;
    }
    var ticket = ++latest;
    h.api('/api/social/preview', { method: 'POST', body: body }).then(function (answer) {
      if (ticket !== latest) return; // an older answer arriving late
      if (answer.ok) {
        h.showPostPreviews(panel, answer.body.posts);
        status.textContent = '';
      } else {
        var issues = (answer.body && answer.body.issues) || [];
        status.textContent = 'Preview unavailable: ' + (issues.map(function (i) { return i.path + ' ' + i.message; }).join('; ') || (answer.body && answer.body.error) || answer.status);
      }
    }).catch(function () { status.textContent = 'Preview unavailable: Herald did not answer.'; });
  }, 300);

  form.addEventListener('input', refresh);
  refresh();
})();

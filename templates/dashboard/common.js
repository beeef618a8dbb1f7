// Herald dashboard, every page: the API helper (session cookie + CSRF header), local times, confirmations, and
// the social post preview both the publish and the preview pages use. Plain script, no build step.
'use strict';
(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  // Channel labels from the network registry (src/social/networks.ts), put in every page by the layout.
  var labelsMeta = document.querySelector('meta[name="channel-labels"]');
  var NETWORKS = labelsMeta ? JSON.parse(labelsMeta.getAttribute('content')) : {};

  /** fetch against Herald's API as the signed-in editor; resolves with {ok, status, body}. */
  function api(path, options) {
    options = options || {};
    var headers = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.method && options.method !== 'GET') headers['x-csrf-token'] = csrf;
    return fetch(path, {
      method: options.method || 'GET',
      headers: headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = { error: text }; }
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  /** An element with text (never HTML) and attributes. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') node.textContent = attrs[key];
      else if (key === 'className') node.className = attrs[key];
      else if (attrs[key] !== undefined && attrs[key] !== null && attrs[key] !== false) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child); });
    return node;
  }

  function localTime(iso, precision) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return '—';
    return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: precision === 'short' ? 'short' : 'medium' });
  }

  function localiseTimes(root) {
    (root || document).querySelectorAll('time[data-local]').forEach(function (node) {
      node.textContent = localTime(node.getAttribute('datetime'), node.getAttribute('data-local'));
      node.title = node.getAttribute('datetime');
    });
  }

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  /** Fills each `[data-network]` block of `root` from POST /api/social/preview's answer. */
  function showPostPreviews(root, posts) {
    posts.forEach(function (post) {
      var block = root.querySelector('[data-network="' + post.network + '"]');
      if (!block) return;
      var count = block.querySelector('[data-count]');
      var text = block.querySelector('[data-text]');
      count.textContent = (post.length === null ? '—' : post.length) + ' / ' + post.limit;
      if (post.parts) count.textContent += ' · thread of ' + post.parts.length;
      count.className = 'count ' + (post.fits ? 'fits' : 'over');
      count.setAttribute('aria-label', NETWORKS[post.network] + ': ' + (post.length === null ? 'no post' : post.length + ' of ' + post.limit + ' characters') + (post.fits ? '' : ', does not fit') + (post.parts ? ', posted as a thread of ' + post.parts.length + ' parts' : ''));
      text.textContent = post.text || post.message || '';
      // A thread: each part as it will be posted, numbered, one under the other.
      if (post.parts) text.textContent = 'Posted as a thread of ' + post.parts.length + ' parts:\n\n' + post.parts.join('\n\n—\n\n');
      if (post.text && post.message) text.textContent += '\n\n⚠ ' + post.message;
      var mode = post.mode === 'preview' ? ' (preview only: no credentials, not posted)' : '';
      text.title = 'Account ' + post.account + mode;
    });
  }

  function overrides(root) {
    var texts = {};
    root.querySelectorAll('[data-network]').forEach(function (block) {
      var area = block.querySelector('[data-override]');
      if (area && area.value.trim() !== '') texts[block.getAttribute('data-network')] = area.value;
    });
    return texts;
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener('DOMContentLoaded', function () {
    localiseTimes(document);
    // Time zone pickers start at the editor's own zone (the server cannot know it).
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    document.querySelectorAll('select[data-timezone]').forEach(function (select) {
      var offered = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
      if (select.value === 'UTC' && zone && offered) select.value = zone;
    });
    document.querySelectorAll('[data-secret]').forEach(function (node) { node.focus(); });
  });

  window.herald = {
    csrf: csrf, api: api, el: el, debounce: debounce, localiseTimes: localiseTimes,
    showPostPreviews: showPostPreviews, overrides: overrides,
  };
})();

// Herald dashboard, preview page: live counts for each network's post and saving the editor's own texts
// (PATCH /api/dispatches/:id) until the dispatch starts.
'use strict';
// The edition's subject line and preheader: saved, then the page reloads so the preview shows them.
(function () {
  var h = window.herald;
  var form = document.querySelector('[data-edition-editor]');
  if (!form) return;
  var status = form.querySelector('[data-edition-status]');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    status.textContent = 'Saving…';
    var body = { subject: form.elements.subject.value.trim() || null, preheader: form.elements.preheader.value.trim() || null };
    h.api('/api/dispatches/' + form.getAttribute('data-dispatch'), { method: 'PATCH', body: body }).then(function (answer) {
      if (answer.ok) { window.location.reload(); return; }
      var issues = (answer.body && answer.body.issues) || [];
      status.textContent = 'Not saved: ' + (issues.map(function (i) { return i.path + ': ' + i.message; }).join(' ') || (answer.body && answer.body.error) || answer.status);
    });
  });
})();

(function () {
  var h = window.herald;
  var editor = document.querySelector('[data-post-editor]');
  if (!editor || !editor.querySelector('[data-override]')) return;
  var dispatchId = Number(editor.getAttribute('data-dispatch'));
  var articleId = Number(editor.getAttribute('data-article'));
  var status = editor.querySelector('[data-save-status]');

  var refresh = h.debounce(function () {
    h.api('/api/social/preview', { method: 'POST', body: { articleId: articleId, socialTexts: h.overrides(editor) } }).then(function (answer) {
      if (answer.ok) h.showPostPreviews(editor, answer.body.posts);
    });
  }, 250);

  editor.addEventListener('input', function () { if (status) status.textContent = 'Unsaved changes'; refresh(); });
  var save = editor.querySelector('[data-save-posts]');
  if (save) save.addEventListener('click', function () {
    var texts = {};
    editor.querySelectorAll('[data-network]').forEach(function (block) {
      var text = block.querySelector('[data-override]').value;
      texts[block.getAttribute('data-network')] = text.trim() === '' ? null : text;
    });
    status.textContent = 'Saving…';
    h.api('/api/dispatches/' + dispatchId, { method: 'PATCH', body: { socialTexts: texts } }).then(function (answer) {
      if (answer.ok) { status.textContent = 'Saved.'; return; }
      var issues = (answer.body && answer.body.issues) || [];
      status.textContent = 'Not saved: ' + (issues.map(function (i) { return i.message; }).join(' ') || (answer.body && answer.body.error) || answer.status);
    });
  });
  refresh();
})();

// Herald dashboard, subscribers page: uploads a CSV to POST /api/subscribers/import with a progress bar, then shows
// what the import did.
'use strict';
(function () {
  var h = window.herald;
  var box = document.querySelector('[data-import]');
  if (!box) return;
  var input = box.querySelector('[data-file]');
  var start = box.querySelector('[data-start]');
  var progressBox = box.querySelector('[data-progress]');
  var bar = progressBox.querySelector('progress');
  var label = progressBox.querySelector('label');
  var result = box.querySelector('[data-result]');

  input.addEventListener('change', function () { start.disabled = !input.files || input.files.length === 0; });

  start.addEventListener('click', function () {
    var file = input.files && input.files[0];
    if (!file) return;
    start.disabled = true;
    result.textContent = '';
    progressBox.hidden = false;
    label.textContent = 'Uploading ' + file.name;
    bar.max = 100;
    bar.value = 0;
    var request = new XMLHttpRequest();
    request.open('POST', '/api/subscribers/import');
    request.setRequestHeader('content-type', 'text/csv');
    request.setRequestHeader('accept', 'application/json');
    request.setRequestHeader('x-csrf-token', h.csrf);
    request.upload.addEventListener('progress', function (event) {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    });
    request.upload.addEventListener('load', function () {
      label.textContent = 'Importing…';
      bar.removeAttribute('value'); // indeterminate while the server works through the rows
    });
    request.addEventListener('load', function () {
      progressBox.hidden = true;
      start.disabled = false;
      var body;
      try { body = JSON.parse(request.responseText); } catch (e) { body = { error: request.responseText }; }
      if (request.status !== 200) {
        result.appendChild(h.el('div', { className: 'flash error', text: 'Import failed: ' + (body.error || request.status) }));
        return;
      }
      var summary = h.el('div', { className: 'flash ok', text: 'Imported ' + body.imported + ', updated ' + body.updated + ', skipped ' + body.skipped + '.' });
      result.appendChild(summary);
      if (body.errors && body.errors.length) {
        result.appendChild(h.el('ul', {}, body.errors.slice(0, 20).map(function (e) { return h.el('li', { text: 'Line ' + e.line + ': ' + e.reason }); })));
      }
    });
    request.addEventListener('error', function () {
      progressBox.hidden = true;
      start.disabled = false;
      result.appendChild(h.el('div', { className: 'flash error', text: 'Import failed: Herald did not answer.' }));
    });
    request.send(file);
  });
})();

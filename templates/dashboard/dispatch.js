// Herald dashboard, dispatch page: every second, fetches the live parts the server renders (GET /dispatches/:id/live)
// and swaps them in, until the dispatch has finished. Nothing is rendered here.
'use strict';
(function () {
  var h = window.herald;
  var root = document.querySelector('[data-dispatch]');
  if (!root) return;
  var fragmentUrl = '/dispatches/' + root.getAttribute('data-dispatch') + '/live';
  var failuresInARow = 0;

  /** Each `[data-live]` part of the page takes the fresh one's content and visibility (the element itself stays). */
  function swap(fresh) {
    fresh.querySelectorAll('[data-live]').forEach(function (part) {
      var current = document.querySelector('[data-live="' + part.getAttribute('data-live') + '"]');
      if (!current) return;
      current.replaceChildren.apply(current, Array.prototype.slice.call(part.childNodes));
      current.hidden = part.hidden;
      h.localiseTimes(current);
    });
    var status = fresh.getAttribute('data-status');
    document.querySelectorAll('[data-when]').forEach(function (node) {
      node.hidden = node.getAttribute('data-when').split(' ').indexOf(status) === -1;
    });
  }

  function poll() {
    fetch(fragmentUrl, { credentials: 'same-origin', headers: { accept: 'text/html' } }).then(function (response) {
      // A session that ended sends the request to the sign-in page.
      if (response.redirected) { window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname)); return; }
      if (!response.ok) throw new Error('live fragment: ' + response.status);
      return response.text().then(function (text) {
        var template = document.createElement('template');
        template.innerHTML = text;
        var fresh = template.content.querySelector('[data-live-fragment]');
        failuresInARow = 0;
        swap(fresh);
        if (fresh.getAttribute('data-polling') === 'true') setTimeout(poll, 1000);
      });
    }).catch(function () {
      failuresInARow++;
      setTimeout(poll, Math.min(1000 * Math.pow(2, failuresInARow), 15000));
    });
  }

  if (root.getAttribute('data-polling') === 'true') setTimeout(poll, 1000);
})();

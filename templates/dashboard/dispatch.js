// Herald dashboard, dispatch page: redraws progress, failures, posts and the available actions every second from
// GET /api/dispatches/:id/live until the dispatch has finished.
'use strict';
(function () {
  var h = window.herald;
  var root = document.querySelector('[data-dispatch]');
  if (!root) return;
  var id = root.getAttribute('data-dispatch');
  // The status sets come from the page (src/dispatch/lifecycle.ts), so they are declared once.
  var FINAL = root.getAttribute('data-final-statuses').split(' ');
  var failuresInARow = 0;

  function n(value) { return Number(value || 0).toLocaleString('en-US'); }

  function eta(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 60) return 'about ' + seconds + ' s';
    var minutes = Math.round(seconds / 60);
    return minutes < 90 ? 'about ' + minutes + ' min' : 'about ' + Math.round(minutes / 60) + ' h';
  }

  function timeNode(iso, empty) {
    if (!iso) return document.createTextNode(empty || '—');
    return h.el('time', { datetime: iso, title: iso, text: h.localTime(iso, 'full') });
  }

  var NOT_STARTED = root.getAttribute('data-not-started-statuses').split(' ');

  function summary(c, status, fannedOut) {
    if (c.total === 0 && NOT_STARTED.indexOf(status) !== -1) return 'not started';
    var preparing = c.channel === 'email' && fannedOut === false && (status === 'running' || status === 'paused');
    return n(c.total - c.pending) + ' of ' + n(c.total) + ' done' + (preparing ? ' · preparing recipients…' : '');
  }

  function channelBlock(c, status, fannedOut) {
    var done = c.total - c.pending;
    var items = [
      countItem('sent', 'Sent', c.sent), countItem('failed', 'Failed', c.failed), countItem('pending', 'Pending', c.pending),
    ];
    Object.keys(c.counts).forEach(function (status) {
      if (['sent', 'failed', 'pending', 'sending'].indexOf(status) === -1) items.push(countItem('other', h.statusLabel(status), c.counts[status]));
    });
    var label = h.networkName(c.channel) + ': ' + n(done) + ' of ' + n(c.total) + ' done';
    return h.el('div', { className: 'channel', 'data-channel': c.channel }, [
      h.el('div', { className: 'channel-head' }, [
        h.el('h3', { text: h.networkName(c.channel) }),
        h.el('span', { className: 'muted small', text: summary(c, status, fannedOut) }),
      ]),
      h.el('progress', { max: Math.max(c.total, 1), value: done, 'aria-label': label }),
      h.el('ul', { className: 'counts' }, items),
    ]);
  }

  function countItem(kind, label, value) {
    var strong = h.el('strong', { text: n(value), 'data-count': kind === 'other' ? null : kind });
    return h.el('li', {}, [h.el('span', { className: 'dot ' + kind, 'aria-hidden': 'true' }), label + ' ', strong]);
  }

  function failuresTable(failures) {
    if (!failures.length) return h.el('p', { className: 'muted', text: 'No failures.' });
    var rows = failures.map(function (f) {
      var badge = h.el('span', { className: 'badge ' + (f.status === 'retrying' ? 'pending' : f.status), text: h.statusLabel(f.status === 'retrying' ? 'pending' : f.status) });
      return h.el('tr', {}, [
        h.el('td', { text: h.networkName(f.channel) }),
        h.el('td', {}, [badge, f.status === 'retrying' ? h.el('span', { className: 'small muted', text: ' retrying' }) : null]),
        h.el('td', { className: 'reason', text: f.reason }),
        h.el('td', { className: 'num', text: n(f.count) }),
        h.el('td', { className: 'small', text: f.examples.join(', ') }),
      ]);
    });
    var head = h.el('tr', {}, ['Channel', 'Status', 'Reason', 'Count', 'For example'].map(function (t) {
      return h.el('th', { scope: 'col', className: t === 'Count' ? 'num' : '', text: t });
    }));
    return h.el('div', { className: 'table-wrap' }, [h.el('table', { className: 'compact' }, [
      h.el('caption', { className: 'visually-hidden', text: 'Failures by reason' }), h.el('thead', {}, [head]), h.el('tbody', {}, rows),
    ])]);
  }

  function postsList(posts) {
    if (!posts.length) return h.el('p', { className: 'muted', text: 'Composed when the dispatch starts.' });
    return h.el('ul', { className: 'posts' }, posts.map(function (p) {
      return h.el('li', {}, [
        h.el('div', { className: 'post-head' }, [h.el('strong', { text: h.networkName(p.channel) }), h.el('span', { className: 'badge ' + p.status, text: h.statusLabel(p.status) })]),
        p.content ? h.el('p', { className: 'post-text', text: p.content }) : null,
        p.remoteUrl ? h.el('a', { href: p.remoteUrl, rel: 'noopener noreferrer', text: 'View the post' }) : null,
        p.lastResponse && p.status !== 'sent' ? h.el('p', { className: 'small muted', text: p.lastResponse }) : null,
      ]);
    }));
  }

  function replace(selector, node) {
    var box = document.querySelector(selector);
    if (!box) return;
    box.textContent = '';
    box.appendChild(node);
  }

  function fact(name, node) {
    var dd = document.querySelector('[data-fact="' + name + '"]');
    if (!dd) return;
    dd.textContent = '';
    dd.appendChild(typeof node === 'string' ? document.createTextNode(node) : node);
  }

  function draw(live) {
    var badge = document.querySelector('[data-field="status"]');
    badge.className = 'badge ' + live.status;
    badge.textContent = h.statusLabel(live.status);
    var error = document.querySelector('[data-error]');
    error.textContent = live.error || '';
    error.hidden = !live.error;
    fact('scheduledAt', timeNode(live.scheduledAt, 'immediately'));
    fact('startedAt', timeNode(live.startedAt));
    fact('completedAt', timeNode(live.completedAt));
    fact('rate', live.rate ? live.rate + '/s' : '—');
    fact('eta', eta(live.etaSeconds));
    var channels = document.querySelector('[data-channels]');
    channels.textContent = '';
    live.channels.forEach(function (c) { channels.appendChild(channelBlock(c, live.status, live.emailFannedOut)); });
    replace('[data-failures]', failuresTable(live.failures));
    replace('[data-posts]', postsList(live.posts));
    document.querySelectorAll('[data-when]').forEach(function (node) {
      node.hidden = node.getAttribute('data-when').split(' ').indexOf(live.status) === -1;
    });
    root.setAttribute('data-final', FINAL.indexOf(live.status) !== -1 ? 'true' : 'false');
  }

  function poll() {
    h.api('/api/dispatches/' + id + '/live').then(function (answer) {
      if (answer.status === 401) { window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname)); return; }
      if (!answer.ok) throw new Error(answer.body && answer.body.error);
      failuresInARow = 0;
      draw(answer.body);
      var unfinished = answer.body.channels.some(function (c) { return c.pending > 0; });
      if (FINAL.indexOf(answer.body.status) === -1 || unfinished) setTimeout(poll, 1000);
    }).catch(function () {
      failuresInARow++;
      setTimeout(poll, Math.min(1000 * Math.pow(2, failuresInARow), 15000));
    });
  }

  if (root.getAttribute('data-final') !== 'true') setTimeout(poll, 1000);
})();

/**
 * The IDE page's session bar and editor workers, served as a script of its own (`script-src 'self'`, no inline
 * code) and loaded before the page's start-up script:
 *
 * - **Signing in**: a bar above GraphiQL to sign in with a login and password (the `createToken` mutation) or to
 *   paste a token. The token is kept in `sessionStorage` (gone when the tab closes) and put in the Headers editor as
 *   `Authorization: Bearer …` on every load; "Sign out" forgets it. The page tells GraphiQL not to persist headers,
 *   so a token never sits in `localStorage`.
 * - **Editor workers**: GraphiQL 5's Monaco editor runs its language services in web workers. Their bundles ship in
 *   `@graphql-yoga/graphiql/dist/monacoeditorwork/` and are served from the gateway with the other assets, so the
 *   IDE needs no network beyond the gateway.
 *
 * Scripts can pre-seed a token the same way the bar does: `sessionStorage.setItem('ds-gateway:token', token)`.
 */
export const PLAYGROUND_SESSION_PATH = '/graphql/session.js';
/** The `sessionStorage` key of the token the bar manages. */
export const PLAYGROUND_TOKEN_KEY = 'ds-gateway:token';

/** Worker bundle of each Monaco label (file names as the package ships them). */
const WORKERS = {
  json: 'json.worker.bundle.js',
  graphql: 'graphql.worker..bundle.js',
  editorWorkerService: 'editor.worker.bundle.js',
};

export const PLAYGROUND_SESSION_SCRIPT = `'use strict';
(function () {
  var TOKEN_KEY = ${JSON.stringify(PLAYGROUND_TOKEN_KEY)};
  // The worker bundles sit next to the IDE's stylesheet, in the package's monacoeditorwork/ folder.
  var stylesheet = document.querySelector('link[rel="stylesheet"][href$="graphiql.css"]');
  var WORKER_BASE = (stylesheet ? stylesheet.getAttribute('href').replace(/graphiql\\.css$/, '') : '/graphql/assets/') + 'monacoeditorwork/';
  var WORKERS = ${JSON.stringify(WORKERS)};

  // Monaco asks for a worker per language service; every bundle comes from the gateway (CSP worker-src 'self').
  self.MonacoEnvironment = {
    getWorker: function (_moduleId, label) {
      return new Worker(WORKER_BASE + (WORKERS[label] || WORKERS.editorWorkerService), { name: label });
    },
  };

  var optionsElement = document.getElementById('graphiql-options');
  var endpoint = '/graphql';
  var token = null;
  try {
    token = sessionStorage.getItem(TOKEN_KEY);
  } catch (e) {
    /* storage disabled: the Headers editor still works by hand */
  }

  // The start-up script reads its options from this JSON block: put the token in the Headers editor.
  if (optionsElement) {
    var options = JSON.parse(optionsElement.textContent);
    endpoint = options.endpoint || endpoint;
    if (token) options.initialHeaders = JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);
    // A shared or reloaded page carries its query in the URL (?query=); Yoga's GraphiQL prefers \`query\` over it.
    if (new URLSearchParams(location.search).get('query')) delete options.query;
    optionsElement.textContent = JSON.stringify(options);
  }

  function remember(value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* ignore */
    }
    // GraphiQL reads the headers once, when it starts: start it again with the new ones.
    location.reload();
  }

  function post(query, variables, bearer) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (bearer) headers.authorization = 'Bearer ' + bearer;
    return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables }) })
      .then(function (response) { return response.json(); });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function buildBar() {
    var bar = element('form', { id: 'ds-session', 'aria-label': 'Session', autocomplete: 'on' });
    var title = element('strong', { class: 'ds-title' }, 'Datasentinel access gateway');
    var status = element('span', { id: 'ds-session-status', role: 'status' });
    bar.appendChild(title);
    bar.appendChild(status);

    if (token) {
      status.textContent = 'Checking the token…';
      var signOut = element('button', { type: 'button', id: 'ds-sign-out' }, 'Sign out');
      signOut.addEventListener('click', function () { remember(null); });
      bar.appendChild(signOut);
      post('query SessionCheck { me { login } }', {}, token).then(function (result) {
        if (result && result.data && result.data.me) {
          status.textContent = 'Signed in as ' + result.data.me.login + ' (the token is in the Headers tab)';
        } else {
          var message = result && result.errors && result.errors[0] ? result.errors[0].message : 'refused';
          status.textContent = 'Token refused: ' + message + '. Sign out and sign in again.';
          status.className = 'ds-error';
        }
      }, function () {
        status.textContent = 'Could not reach the gateway.';
        status.className = 'ds-error';
      });
      return bar;
    }

    var login = element('input', { id: 'ds-login', name: 'username', placeholder: 'login or email', autocomplete: 'username', 'aria-label': 'Login or email' });
    var password = element('input', { id: 'ds-password', name: 'password', type: 'password', placeholder: 'password', autocomplete: 'current-password', 'aria-label': 'Password' });
    var signIn = element('button', { type: 'submit', id: 'ds-sign-in' }, 'Sign in');
    var or = element('span', { class: 'ds-or' }, 'or');
    var pasted = element('input', { id: 'ds-token', type: 'password', placeholder: 'paste a token', autocomplete: 'off', 'aria-label': 'Token' });
    var useToken = element('button', { type: 'button', id: 'ds-use-token' }, 'Use token');
    [login, password, signIn, or, pasted, useToken].forEach(function (node) { bar.appendChild(node); });
    status.textContent = 'Not signed in.';

    bar.addEventListener('submit', function (event) {
      event.preventDefault();
      status.textContent = 'Signing in…';
      status.className = '';
      post('mutation SignIn($login: String!, $password: String!) { createToken(login: $login, password: $password) { token } }',
        { login: login.value, password: password.value })
        .then(function (result) {
          if (result && result.data && result.data.createToken) return remember(result.data.createToken.token);
          status.textContent = result && result.errors && result.errors[0] ? result.errors[0].message : 'Sign-in failed';
          status.className = 'ds-error';
        }, function () {
          status.textContent = 'Could not reach the gateway.';
          status.className = 'ds-error';
        });
    });
    function usePasted() {
      var value = pasted.value.trim().replace(/^Bearer\\s+/i, '');
      if (value) remember(value);
    }
    useToken.addEventListener('click', usePasted);
    pasted.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        usePasted();
      }
    });
    return bar;
  }

  function install() {
    var ide = document.getElementById('graphiql');
    if (!ide || document.getElementById('ds-session')) return;
    ide.parentNode.insertBefore(buildBar(), ide);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', install);
  else install();
})();
`;

/** Styles of the bar (inline styles are allowed by the IDE's CSP: the editor injects its own). */
export const PLAYGROUND_SESSION_CSS = `
    body { display: flex; flex-direction: column; height: 100vh; }
    #graphiql { flex: 1; min-height: 0; height: auto; }
    #ds-session { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 8px 16px; margin: 0;
      font: 14px system-ui, sans-serif; background: #f4f5f7; border-bottom: 1px solid #dfe1e6; color: #172b4d; }
    #ds-session .ds-title { margin-right: 12px; }
    #ds-session input { font: inherit; padding: 4px 8px; border: 1px solid #c1c7d0; border-radius: 4px; min-width: 0; }
    #ds-session #ds-login { width: 11em; }
    #ds-session #ds-password { width: 9em; }
    #ds-session #ds-token { width: 12em; }
    #ds-session button { font: inherit; padding: 4px 12px; border: 1px solid #c1c7d0; border-radius: 4px; background: #fff; cursor: pointer; }
    #ds-session button[type=submit] { background: #e10098; border-color: #e10098; color: #fff; }
    #ds-session .ds-or { color: #6b778c; }
    #ds-session-status { color: #42526e; }
    #ds-session-status.ds-error { color: #bf2600; }
    #ds-session #ds-sign-out { margin-left: auto; }`;

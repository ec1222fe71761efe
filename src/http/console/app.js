// kvd web console entry point: hash routing between the views, the database selector and
// the sign-in dialog. Served by kvd at / with the other modules under /console/.

import * as api from './api.js';
import * as overview from './overview.js';
import * as keys from './keys.js';
import * as cli from './cli.js';
import * as slowlog from './slowlog.js';
import * as clients from './clients.js';

const views = { overview, keys, console: cli, slowlog, clients };
const DB_KEY = 'kvd.console.db';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const banner = document.getElementById('banner');
const dbInput = document.getElementById('db');
const authButton = document.getElementById('auth-button');
const dialog = document.getElementById('login');
const loginUser = document.getElementById('login-user');
const loginSecret = document.getElementById('login-secret');
const loginReason = document.getElementById('login-reason');

let unmount = null;
let current = '';

function route() {
  const name = (location.hash.replace(/^#\/?/, '') || 'overview').split('?')[0];
  const view = views[name] ? name : 'overview';
  if (view === current && unmount) return;
  if (unmount) unmount();
  current = view;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === view);
  document.title = `kvd console: ${view}`;
  main.dataset.view = view;
  unmount = views[view].mount(main) || null;
}

function remount() {
  if (unmount) unmount();
  unmount = null;
  route();
}

function updateAuthButton() {
  authButton.textContent = api.authorization() ? 'Signed in' : 'Sign in';
}

function openLogin(reason) {
  loginReason.textContent = reason || '';
  if (dialog.open) return; // more 401s while it is shown: keep what is being typed
  loginUser.value = '';
  loginSecret.value = '';
  dialog.showModal();
  loginSecret.focus();
}

api.onUnauthorized((msg) => {
  banner.textContent = `The server asks for credentials: ${msg}`;
  banner.hidden = false;
  openLogin(msg);
});

document.getElementById('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  api.setCredentials(loginUser.value, loginSecret.value);
  dialog.close();
  banner.hidden = true;
  updateAuthButton();
  remount();
});
document.getElementById('login-clear').addEventListener('click', () => {
  api.setCredentials('', '');
  dialog.close();
  updateAuthButton();
  remount();
});
document.getElementById('login-cancel').addEventListener('click', () => dialog.close());
authButton.addEventListener('click', () => openLogin(''));

function setDbFromInput() {
  const n = Number(dbInput.value);
  api.setDb(Number.isInteger(n) && n >= 0 ? n : 0);
  try { sessionStorage.setItem(DB_KEY, String(api.getDb())); } catch { /* none */ }
}
try { dbInput.value = sessionStorage.getItem(DB_KEY) || '0'; } catch { /* none */ }
setDbFromInput();
dbInput.addEventListener('change', () => { setDbFromInput(); remount(); });

window.addEventListener('hashchange', route);
updateAuthButton();
route();

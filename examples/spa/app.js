// A single-page app on another origin than the API: plain JavaScript, no build step.
// Two ways to hold the tokens (README, "A frontend on another origin"):
// - "header": tokens in localStorage, sent as `Authorization: Bearer ...`;
// - "cookies": the API keeps them in HttpOnly cookies this page never sees. Every call
//   says `credentials: "include"`, and writes repeat the CSRF value from the login (or
//   refresh) body in X-CSRF-TOKEN: a page on another origin cannot read the API's cookies.
// Cookie mode needs the API's CORS_ORIGINS to hold this page's origin exactly, and page
// and API on the same site (same host name, other ports are fine).

const API = (new URLSearchParams(location.search).get("api") || "http://127.0.0.1:5000")
  .replace(/\/+$/, "");
const PAGE_SIZE = 2; // small, so that walking the list by `Link` shows
const KEYS = { access: "spa.access_token", refresh: "spa.refresh_token", mode: "spa.mode" };
const CSRF = "spa.csrf"; // {csrf_access_token, csrf_refresh_token} from the login body

const $ = (id) => document.getElementById(id);
const mode = () => localStorage.getItem(KEYS.mode);

function say(text, error = false) {
  $("message").textContent = text;
  $("message").className = error ? "error" : "";
}

function log(text) {
  const line = document.createElement("li");
  line.textContent = text;
  $("log").append(line);
}

function forget() {
  for (const key of Object.values(KEYS)) localStorage.removeItem(key);
  sessionStorage.removeItem(CSRF);
}

// One call to the API: the credentials of the current mode, JSON both ways.
async function call(method, url, body, { refresh = false } = {}) {
  const headers = body === undefined ? {} : { "Content-Type": "application/json" };
  if (mode() === "header") {
    const token = localStorage.getItem(refresh ? KEYS.refresh : KEYS.access);
    if (token) headers.Authorization = `Bearer ${token}`;
  } else if (mode() === "cookies" && method !== "GET") {
    const csrf = JSON.parse(sessionStorage.getItem(CSRF) || "{}");
    headers["X-CSRF-TOKEN"] = csrf[refresh ? "csrf_refresh_token" : "csrf_access_token"];
  }
  let response;
  try {
    response = await fetch(url.startsWith("http") ? url : API + url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: mode() === "cookies" ? "include" : "omit",
    });
  } catch (error) {
    // A CORS refusal looks like a network error to scripts: name the likely cause.
    throw new Error(`${method} ${url} failed (${error.message}): is the API up, and does ` +
      `its CORS_ORIGINS hold exactly "${location.origin}"?`);
  }
  const data = await response.json().catch(() => ({}));
  return { response, data };
}

// Keeps what a login or refresh answered: tokens (header mode) or CSRF values (cookies).
function keep(data) {
  if (mode() === "header") {
    localStorage.setItem(KEYS.access, data.access_token);
    localStorage.setItem(KEYS.refresh, data.refresh_token);
  } else {
    sessionStorage.setItem(CSRF, JSON.stringify(data));
  }
}

// Calls the API; on 401 token_expired, refreshes once and repeats the call.
async function api(method, url, body) {
  let result = await call(method, url, body);
  if (result.response.status === 401 && result.data.error === "token_expired") {
    const refreshed = await call("POST", "/refresh", undefined, { refresh: true });
    if (!refreshed.response.ok) {
      signedOut(`Your session has ended (${refreshed.data.error}). Please log in again.`);
      throw new Error("signed out");
    }
    keep(refreshed.data);
    log("Access token expired: refreshed (POST /refresh) and repeated " + method + " " + url);
    result = await call(method, url, body);
  }
  return result;
}

function failed({ response, data }) {
  say(data.message || data.description || `HTTP ${response.status}`, true);
}

function signedOut(text) {
  forget();
  $("session").hidden = true;
  $("login-form").hidden = false;
  say(text, text !== "Successfully logged out");
}

// Every store, page by page: each response's `Link: <url>; rel="next"` is followed as it is.
async function loadStores() {
  const stores = [];
  let url = `/store?page_size=${PAGE_SIZE}`;
  let pages = 0;
  while (url) {
    const result = await api("GET", url);
    if (!result.response.ok) return failed(result);
    stores.push(...result.data);
    pages += 1;
    const link = result.response.headers.get("Link") || ""; // readable: the API exposes it
    url = (link.match(/<([^>]+)>;\s*rel="next"/) || [])[1];
  }
  $("stores").replaceChildren(...stores.map((store) => {
    const item = document.createElement("li");
    item.textContent = store.name;
    return item;
  }));
  $("pages").textContent = pages;
}

async function showSession() {
  const { response, data } = await api("GET", "/my-info");
  if (response.status === 401 && data.error === "authorization_required" &&
      mode() === "cookies") {
    // Login answered 200, yet the next call carries no cookie: the browser dropped them.
    signedOut("Logged in, but the browser dropped the API's cookies: this page " +
      `(${location.origin}) and the API (${API}) are not on the same site. Serve both ` +
      "on the same host name (localhost and 127.0.0.1 are different sites), or use " +
      "localStorage mode.");
    return false;
  }
  if (!response.ok) {
    signedOut(data.description || data.message || `HTTP ${response.status}`);
    return false;
  }
  $("me").textContent = data.username;
  $("mode").textContent = mode() === "cookies" ? "HttpOnly cookies" : "localStorage";
  $("login-form").hidden = true;
  $("session").hidden = false;
  await loadStores();
  return true;
}

const credentials = () => ({ username: $("username").value, password: $("password").value });

$("register").onclick = async () => {
  forget(); // registering needs no credentials
  const { response, data } = await call("POST", "/register", credentials());
  response.ok ? say(data.message) : failed({ response, data });
};

$("login").onclick = async () => {
  forget();
  const chosen = $("mode-cookies").checked ? "cookies" : "header";
  localStorage.setItem(KEYS.mode, chosen);
  const path = chosen === "cookies" ? "/login?cookies=true" : "/login";
  const { response, data } = await call("POST", path, credentials());
  if (!response.ok) {
    forget();
    return failed({ response, data });
  }
  keep(data);
  if (await showSession()) say(`Logged in (${chosen}).`);
};

$("create-store").onclick = async () => {
  const name = $("store-name").value;
  const result = await api("POST", "/store", { name });
  if (!result.response.ok) return failed(result);
  await loadStores();
  say(`Store "${name}" created.`);
};

$("load-stores").onclick = async () => {
  await loadStores();
  say("Reloaded.");
};

$("logout").onclick = async () => {
  const result = await api("POST", "/logout");
  if (!result.response.ok) return failed(result);
  signedOut(result.data.message); // cookie mode: the API's Set-Cookie cleared the cookies
};

window.addEventListener("unhandledrejection", (event) => {
  if (event.reason.message !== "signed out") say(event.reason.message, true);
});

$("api").textContent = API;
$("origin").textContent = location.origin;
if (mode()) showSession();

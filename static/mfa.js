"use strict";
// Two-factor login for the demo page (loaded after its main script, whose send, api,
// show, log, saveTokens, clearTokens and loadSession it uses). API.md "Two-factor login".
// The QR code comes from the API as SVG text: it is shown as an <img> with a data: URI,
// never put into the page as markup, so nothing in it can run.

let waiting = null; // { token, mode } between the password step and the code step

function askForCode(mfaToken, chosen) {
  waiting = { token: mfaToken, mode: chosen };
  $("login-form").hidden = true;
  $("mfa-form").hidden = false;
  $("mfa-code").value = "";
  $("mfa-code").focus();
  show("Enter the code from your authenticator app, or a recovery code.");
  log("Password accepted; a one-time code is required (POST /login/mfa next).");
}

$("mfa-form").addEventListener("submit", action(async () => {
  if (!waiting) throw new Error("Log in with your password first.");
  const path = waiting.mode === "cookies" ? "/login/mfa?cookies=true" : "/login/mfa";
  const body = { mfa_token: waiting.token, code: $("mfa-code").value.trim() };
  const { response, data } = await send("POST", path, body, { anonymous: true });
  if (response.status === 401) { // the step expired or took too many wrong codes
    waiting = null;
    $("mfa-form").hidden = true;
    showLoggedOut();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  clearTokens();
  localStorage.setItem(MODE, waiting.mode);
  saveTokens(data);
  waiting = null;
  $("mfa-form").hidden = true;
  log("Logged in with a second factor.");
  show("Logged in.");
  tabs?.postMessage({ type: "logged-in" });
  await loadSession();
}));

function showMfaState(on) {
  $("mfa-state").textContent = on ? "on" : "off";
  $("mfa-start").hidden = on;
  $("mfa-off").hidden = !on;
}

$("mfa-start").addEventListener("click", action(async () => {
  const data = await api("POST", "/my-info/mfa");
  $("mfa-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data.qr_svg)}`;
  $("mfa-secret").textContent = data.secret;
  $("mfa-uri").textContent = data.otpauth_uri;
  $("mfa-enrol").hidden = false;
  $("mfa-recovery").replaceChildren();
  show("Scan the QR code with your authenticator app, then enter the code it shows.");
}));

$("mfa-confirm").addEventListener("click", action(async () => {
  const data = await api("POST", "/my-info/mfa/confirm", { code: $("mfa-confirm-code").value });
  $("mfa-enrol").hidden = true;
  $("mfa-qr").removeAttribute("src");
  $("mfa-recovery").replaceChildren(...data.recovery_codes.map((code) => {
    const li = document.createElement("li");
    li.textContent = code;
    return li;
  }));
  showMfaState(true);
  show("Two-factor login is on. Keep the recovery codes: they are shown once.");
  log("Turned two-factor login on; every other session ended.");
}));

$("mfa-disable").addEventListener("click", action(async () => {
  const body = { code: $("mfa-disable-code").value, current_password: $("mfa-password").value };
  const data = await api("POST", "/my-info/mfa/disable", body);
  $("mfa-password").value = "";
  $("mfa-recovery").replaceChildren();
  showMfaState(false);
  show(data.message);
  log("Turned two-factor login off; every other session ended.");
}));

// /my-info says whether it is on; loadSession calls this once it has it.
window.mfaShown = (me) => showMfaState(Boolean(me.mfa_enabled));

/* relaybot web chat widget: one <script> tag, no build step.
 *
 * <script src="https://chat.example.com/widget/widget.js"
 *         data-title="Pinecone Support" data-idle-seconds="60"
 *         data-user-id="42" data-user-hash="HMAC-SHA256(user id, identity secret)"
 *         defer></script>
 *
 * Other attributes: data-server, data-subtitle, data-user-name, data-user-email,
 * data-color, data-position (right|left), data-open, data-transport (auto|http),
 * data-behavior (on|off). API: window.RelaybotWidget.open/close/toggle/send/reset.
 */
(function () {
  "use strict";
  if (window.RelaybotWidget && window.RelaybotWidget.loaded) return;

  var script = document.currentScript || document.querySelector('script[src*="/widget/widget.js"]');
  var data = (script && script.dataset) || {};
  var scriptUrl = new URL((script && script.src) || "/widget/widget.js", location.href);
  var server = (data.server || scriptUrl.origin).replace(/\/+$/, "");
  var cfg = {
    server: server,
    wsUrl: server.replace(/^http/, "ws") + "/widget/ws",
    title: data.title || "Chat with us",
    subtitle: data.subtitle || "We usually reply in a few minutes",
    color: data.color || "",
    position: data.position === "left" ? "left" : "right",
    idleSeconds: Number(data.idleSeconds || 0),
    transport: data.transport === "http" ? "http" : "auto",
    behavior: data.behavior !== "off",
    user: data.userId ? { id: data.userId, hash: data.userHash || "", name: data.userName || null, email: data.userEmail || null } : null
  };

  var KEY = "relaybot.widget:" + server;
  var INPUTS = {
    email: { type: "email", inputmode: "email", autocomplete: "email", placeholder: "you@example.com", hint: "Please enter a valid email address, like name@example.com." },
    phone: { type: "tel", inputmode: "tel", autocomplete: "tel", placeholder: "+1 555 123 4567", hint: "Please enter a phone number." },
    number: { type: "number", inputmode: "decimal", autocomplete: "off", placeholder: "Enter a number", hint: "Please enter a number." },
    date: { type: "date", inputmode: "", autocomplete: "off", placeholder: "", hint: "Please pick a date." },
    url: { type: "url", inputmode: "url", autocomplete: "url", placeholder: "https://", hint: "Please enter a web address starting with https://." },
    text: { type: "text", inputmode: "", autocomplete: "off", placeholder: "Write a message…", hint: "" }
  };

  /* ---------- persisted state ---------- */
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  var saved = load();
  var state = {
    token: saved.token || null,
    visitorId: saved.visitorId || null,
    messages: Array.isArray(saved.messages) ? saved.messages : [],
    queue: Array.isArray(saved.queue) ? saved.queue : [],
    open: false,
    status: "connecting"
  };
  function persist() {
    try {
      localStorage.setItem(KEY, JSON.stringify({
        token: state.token, visitorId: state.visitorId,
        messages: state.messages.slice(-100), queue: state.queue
      }));
    } catch (e) { /* storage full or disabled: the server still has the history */ }
  }

  function uid() {
    if (window.crypto && crypto.randomUUID) return "c_" + crypto.randomUUID().replace(/-/g, "");
    return "c_" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  /* ---------- DOM ---------- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  var ICON_CHAT = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-4.5 3.6A.5.5 0 0 1 4 21.2V18a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z" transform="translate(0 1)"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z"/></svg>';
  var ICON_DOWN = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M5.6 8.3 12 14.7l6.4-6.4 1.4 1.4-7.8 7.8-7.8-7.8z"/></svg>';
  var ICON_SEND = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12 2-12 2z"/></svg>';

  var host = el("div", { id: "relaybot-widget", "data-relaybot": "" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.appendChild(el("link", { rel: "stylesheet", href: server + "/widget/widget.css" }));
  var wrap = el("div", { class: "rbw rbw--" + cfg.position + " rbw--closed" });
  if (cfg.color) wrap.style.setProperty("--rbw-accent", cfg.color);

  var launcher = el("button", { class: "rbw-launcher", type: "button", "aria-label": "Open chat", "aria-expanded": "false", "aria-controls": "rbw-panel" });
  launcher.innerHTML = ICON_CHAT;

  var titleId = "rbw-title";
  var statusLine = el("p", { class: "rbw-subtitle", id: "rbw-status", text: cfg.subtitle });
  var closeBtn = el("button", { class: "rbw-close", type: "button", "aria-label": "Close chat" });
  closeBtn.innerHTML = ICON_CLOSE;
  var header = el("div", { class: "rbw-header" }, [
    el("span", { class: "rbw-avatar", "aria-hidden": "true", text: (cfg.title.trim()[0] || "?").toUpperCase() }),
    el("div", { class: "rbw-heading" }, [el("h2", { class: "rbw-title", id: titleId, text: cfg.title }), statusLine]),
    closeBtn
  ]);
  var log = el("div", { class: "rbw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation", tabindex: "0" });
  var typing = el("div", { class: "rbw-typing", role: "status", "aria-label": "Support is typing", hidden: "" }, [el("span"), el("span"), el("span")]);
  var banner = el("div", { class: "rbw-banner", role: "status", hidden: "" });
  var inputId = "rbw-input";
  var hintId = "rbw-hint";
  var input = el("input", { class: "rbw-input", id: inputId, type: "text", name: "message", autocomplete: "off", placeholder: INPUTS.text.placeholder, "aria-describedby": hintId, maxlength: "4000", enterkeyhint: "send" });
  var sendBtn = el("button", { class: "rbw-send", type: "submit", "aria-label": "Send message" });
  sendBtn.innerHTML = ICON_SEND;
  var hint = el("p", { class: "rbw-hint", id: hintId, "aria-live": "assertive" });
  var composer = el("form", { class: "rbw-composer", novalidate: "", "aria-label": "Send a message" }, [
    el("label", { class: "rbw-sr", for: inputId, text: "Message" }), input, sendBtn
  ]);
  var panel = el("div", { class: "rbw-panel", id: "rbw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": titleId, hidden: "" }, [
    header, banner, log, typing, hint, composer
  ]);
  var promptText = el("button", { class: "rbw-prompt-text", type: "button" });
  var promptClose = el("button", { class: "rbw-prompt-close", type: "button", "aria-label": "Dismiss" });
  promptClose.innerHTML = ICON_CLOSE;
  var prompt = el("div", { class: "rbw-prompt", role: "status", "aria-label": "New message", hidden: "" }, [promptText, promptClose]);
  wrap.appendChild(panel);
  wrap.appendChild(prompt);
  wrap.appendChild(launcher);
  root.appendChild(wrap);

  /* ---------- rendering ---------- */
  var inputType = "text";

  function timeLabel(iso) {
    var d = iso ? new Date(iso) : null;
    if (!d || isNaN(d.getTime())) return "";
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function initials(name) {
    var words = String(name || "").trim().split(/\s+/).filter(Boolean);
    var letters = words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] || "?").slice(0, 2);
    return letters.toUpperCase();
  }

  function renderMessage(m, first) {
    var mine = m.direction === "in";
    var who = mine ? "You" : (m.sender_name || (m.sender_kind === "agent" ? "Agent" : cfg.title));
    var bubble = el("div", { class: "rbw-bubble", text: m.text || "" });
    var from = null;
    if (m.sender_kind === "agent" && first) {
      // the agent's name and initials, shown; the screen reader hears the name in the meta line
      from = el("div", { class: "rbw-from", "aria-hidden": "true" }, [
        el("span", { class: "rbw-initials", text: initials(who) }),
        el("span", { class: "rbw-name", text: who })
      ]);
    }
    var meta = el("div", { class: "rbw-meta" }, [
      el("span", { class: "rbw-sr", text: who + ", " }),
      el("time", { datetime: m.created_at || "", text: timeLabel(m.created_at) })
    ]);
    if (mine && m.pending) meta.appendChild(el("span", { class: "rbw-state", text: m.failed ? " · Not sent: " + m.failed : (state.status === "online" ? " · Sending…" : " · Waiting for connection") }));
    var item = el("div", {
      class: "rbw-msg " + (mine ? "rbw-msg--in" : "rbw-msg--out rbw-msg--" + (m.sender_kind || "bot")),
      "data-id": m.id || "", "data-client-id": m.client_id || ""
    }, [from, bubble, meta]);
    return item;
  }

  function notice(text) {
    return el("p", { class: "rbw-notice", role: "note", text: text });
  }

  function lastOutgoing() {
    for (var i = state.messages.length - 1; i >= 0; i--) {
      if (state.messages[i].direction === "out") return { msg: state.messages[i], last: i === state.messages.length - 1 };
    }
    return null;
  }

  function choicesFor(m) {
    if (m.choices && m.choices.length) return m.choices;
    if (m.input_type === "yes_no") return [{ label: "Yes", value: "yes" }, { label: "No", value: "no" }];
    if (m.input_type === "rating") return [1, 2, 3, 4, 5].map(function (n) { return { label: "★".repeat(n), value: String(n) }; });
    return [];
  }

  function render() {
    var stick = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.textContent = "";
    if (!state.messages.length && !state.queue.length) {
      log.appendChild(el("p", { class: "rbw-empty", text: "Hi! Ask us anything — we're here to help." }));
    }
    // "You are now talking to NAME" goes right before an agent's first message (and before
    // a new agent's): it is drawn from the messages themselves, so it can never follow them.
    var agent = null;
    var previous = null;
    state.messages.forEach(function (m) {
      var isAgent = m.direction === "out" && m.sender_kind === "agent";
      var name = isAgent ? (m.sender_name || "Agent") : null;
      if (isAgent && name !== agent) {
        agent = name;
        log.appendChild(notice("You are now talking to " + name));
      }
      var first = isAgent && !(previous && previous.sender_kind === "agent" && previous.sender_name === m.sender_name);
      log.appendChild(renderMessage(m, first));
      previous = m;
    });
    state.queue.forEach(function (q) {
      if (!state.messages.some(function (m) { return m.client_id === q.client_id; })) {
        log.appendChild(renderMessage({ direction: "in", text: q.label || q.text, client_id: q.client_id, created_at: q.created_at, pending: true, failed: q.failed }));
      }
    });
    var last = lastOutgoing();
    var choices = last && last.last ? choicesFor(last.msg) : [];
    if (choices.length) {
      var group = el("div", { class: "rbw-choices", role: "group", "aria-label": "Suggested answers" });
      choices.forEach(function (c) {
        var b = el("button", { class: "rbw-choice", type: "button", text: c.label, "data-value": c.value });
        b.addEventListener("click", function () {
          submit({ type: "choice", value: c.value, label: c.label });
          input.focus();
        });
        group.appendChild(b);
      });
      log.appendChild(group);
    }
    setInputType(last && last.last ? (last.msg.input_type || "text") : "text");
    if (stick || state.open) log.scrollTop = log.scrollHeight;
  }

  function setInputType(kind) {
    var spec = INPUTS[kind] || INPUTS.text;
    if (kind === inputType && input.type === spec.type) return;
    inputType = INPUTS[kind] ? kind : "text";
    input.type = spec.type;
    input.placeholder = spec.placeholder;
    input.setAttribute("autocomplete", spec.autocomplete);
    if (spec.inputmode) input.setAttribute("inputmode", spec.inputmode); else input.removeAttribute("inputmode");
    input.setAttribute("aria-label", kind === "text" || !INPUTS[kind] ? "Message" : "Your answer (" + kind + ")");
    setHint("");
  }

  function setHint(text) {
    hint.textContent = text;
    if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  function setStatus(status, text) {
    state.status = status;
    wrap.setAttribute("data-status", status);
    statusLine.textContent = status === "online" ? cfg.subtitle : text;
    if (status === "online") { banner.hidden = true; banner.textContent = ""; }
    else if (text) { banner.hidden = false; banner.textContent = text; }
    render();
  }

  var typingTimer = null;
  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 8000);
  }

  function setOpen(open, opts) {
    state.open = open;
    panel.hidden = !open;
    if (open) prompt.hidden = true;
    else wrap.classList.remove("rbw--aside");
    wrap.classList.toggle("rbw--closed", !open);
    wrap.classList.toggle("rbw--open", open);
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? "Close chat" : "Open chat");
    launcher.innerHTML = open ? ICON_DOWN : ICON_CHAT;
    try { sessionStorage.setItem(KEY + ":open", open ? "1" : ""); } catch (e) { /* ignore */ }
    if (open) {
      render();
      log.scrollTop = log.scrollHeight;
      if (!(opts && opts.noFocus)) input.focus();
    } else if (opts && opts.returnFocus) {
      launcher.focus();
    }
  }

  /* ---------- messages ---------- */
  function addMessage(m) {
    var id = m.id != null ? String(m.id) : null;
    if (id && state.messages.some(function (x) { return String(x.id) === id; })) return false;
    state.messages.push(m);
    if (m.client_id) dropQueued(m.client_id);
    persist();
    return true;
  }

  function dropQueued(clientId) {
    state.queue = state.queue.filter(function (q) { return q.client_id !== clientId; });
  }

  function receiveLive(m) {
    if (!addMessage(m)) return;
    showTyping(false);
    if (!state.open && m.direction === "out") offer(m);
    render();
  }

  /* A message for a closed panel. On a phone it is a small prompt above the launcher
   * (the panel would cover the page); on a wider screen the panel opens, on the other
   * side if it would cover what the visitor was working on (the form they fight with,
   * the spot they clicked), and as the prompt if it would cover it on both sides. */
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function showPrompt(m) {
    promptText.textContent = m.text || "New message";
    prompt.hidden = false;
  }
  function offer(m) {
    if (window.matchMedia && window.matchMedia("(max-width: 480px)").matches) { showPrompt(m); return; }
    setOpen(true, { noFocus: true });
    var spot = focusOfAttention();
    if (!spot) return;
    var busy = spot.getBoundingClientRect();
    if (!overlaps(panel.getBoundingClientRect(), busy)) return;
    wrap.classList.add("rbw--aside");
    if (!overlaps(panel.getBoundingClientRect(), busy)) return;
    setOpen(false);
    showPrompt(m);
  }
  promptText.addEventListener("click", function () { setOpen(true); });
  promptClose.addEventListener("click", function () { prompt.hidden = true; launcher.focus(); });

  function submit(frame) {
    frame.client_id = uid();
    frame.created_at = new Date().toISOString();
    if (frame.type === "message") frame.page = location.href;
    state.queue.push(frame);
    persist();
    render();
    log.scrollTop = log.scrollHeight;
    flush();
  }

  composer.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (!input.checkValidity()) {
      setHint((INPUTS[inputType] || INPUTS.text).hint || input.validationMessage);
      input.focus();
      return;
    }
    setHint("");
    input.value = "";
    submit({ type: "message", text: text });
  });
  input.addEventListener("input", function () { if (hint.textContent && input.checkValidity()) setHint(""); });
  launcher.addEventListener("click", function () { setOpen(!state.open, { returnFocus: true }); });
  closeBtn.addEventListener("click", function () { setOpen(false, { returnFocus: true }); });
  wrap.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && state.open) { ev.stopPropagation(); setOpen(false, { returnFocus: true }); }
  });

  /* ---------- transport ---------- */
  var ws = null;
  var attempt = 0;
  var everOpened = false;
  var failedOpens = 0;
  var reconnectTimer = null;
  var mode = cfg.transport === "http" ? "http" : "ws";
  var refused = false;
  var inFlight = {};

  function backoff() {
    var base = Math.min(30000, 500 * Math.pow(2, attempt));
    attempt += 1;
    return Math.round(base / 2 + Math.random() * base / 2);
  }

  function scheduleReconnect(delay) {
    clearTimeout(reconnectTimer);
    if (refused) return;
    reconnectTimer = setTimeout(connect, delay === undefined ? backoff() : delay);
  }

  function welcome(frame) {
    state.token = frame.token;
    if (state.visitorId && state.visitorId !== frame.visitor_id) state.messages = [];
    state.visitorId = frame.visitor_id;
    var stored = frame.history || [];
    var known = {};
    stored.forEach(function (m) { known[String(m.id)] = true; });
    // Keep live messages that the stored history does not list yet.
    var live = state.messages.filter(function (m) { return m.id && String(m.id).indexOf("live-") === 0 && !known[String(m.id)]; });
    state.messages = stored.concat(live);
    state.messages.forEach(function (m) { if (m.client_id) dropQueued(m.client_id); });
    attempt = 0;
    inFlight = {};
    persist();
    setStatus("online", "");
    flush();
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case "welcome": welcome(frame); break;
      case "message": receiveLive(frame.message); break;
      case "typing": showTyping(true); render(); break;
      case "ack":
        delete inFlight[frame.client_id];
        var q = state.queue.filter(function (x) { return x.client_id === frame.client_id; })[0];
        dropQueued(frame.client_id);
        if (q && !state.messages.some(function (m) { return m.client_id === q.client_id; })) {
          state.messages.push({ id: "local-" + q.client_id, direction: "in", sender_kind: "customer", text: q.label || q.text, client_id: q.client_id, created_at: q.created_at });
        }
        persist();
        render();
        break;
      case "error": onError(frame); break;
      default: break;
    }
  }

  function onError(frame) {
    var q = frame.client_id && state.queue.filter(function (x) { return x.client_id === frame.client_id; })[0];
    if (frame.client_id) delete inFlight[frame.client_id];
    if (!q) return;
    if (frame.code === "rate_limited" || frame.code === "unavailable") {
      setTimeout(flush, Math.max(1000, (frame.retry_after || 2) * 1000));
      return;
    }
    q.failed = frame.code === "too_long" ? "message too long" : "refused";
    q.dead = true;
    persist();
    render();
  }

  function hello() {
    return { type: "hello", token: state.token, user: cfg.user, page: location.href };
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (refused) return;
    if (mode === "http") { startPolling(); return; }
    if (ws && (ws.readyState === 0 || ws.readyState === 1)) return;
    var socket;
    try { socket = new WebSocket(cfg.wsUrl); } catch (e) { mode = "http"; startPolling(); return; }
    ws = socket;
    var opened = false;
    socket.onopen = function () {
      opened = true;
      everOpened = true;
      failedOpens = 0;
      socket.send(JSON.stringify(hello()));
    };
    socket.onmessage = function (ev) {
      var frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      handleFrame(frame);
    };
    socket.onclose = function (ev) {
      if (ws === socket) ws = null;
      inFlight = {};
      showTyping(false);
      if (ev.code === 4401) {
        // The token was refused (forged, expired, or the server's key changed): start fresh.
        state.token = null; state.visitorId = null; state.messages = []; persist();
        scheduleReconnect(attempt++ === 0 ? 0 : undefined);
        return;
      }
      if (ev.code === 4403) {
        refused = true;
        input.disabled = true; sendBtn.disabled = true;
        setStatus("refused", ev.reason === "identity_refused" ? "Chat is unavailable: this account could not be verified." : "Chat is not available on this site.");
        return;
      }
      if (!opened) failedOpens += 1;
      if (!everOpened && failedOpens >= 3) { mode = "http"; startPolling(); return; }
      setStatus(navigator.onLine === false ? "offline" : "reconnecting", "Reconnecting… messages you write now will be sent when we're back.");
      scheduleReconnect();
    };
  }

  function flush() {
    if (state.status !== "online") return;
    state.queue.forEach(function (q) {
      if (q.dead || inFlight[q.client_id]) return;
      var frame = { type: q.type, client_id: q.client_id };
      if (q.type === "choice") { frame.value = q.value; frame.label = q.label; } else { frame.text = q.text; frame.page = q.page; }
      if (mode === "ws") {
        if (!ws || ws.readyState !== 1) return;
        inFlight[q.client_id] = true;
        ws.send(JSON.stringify(frame));
      } else {
        inFlight[q.client_id] = true;
        httpPost("/widget/messages", frame).then(function (body) {
          (body.frames || []).forEach(handleFrame);
        }).catch(function () {
          delete inFlight[q.client_id];
          setStatus("reconnecting", "Reconnecting… messages you write now will be sent when we're back.");
          schedulePoll();
        });
      }
    });
  }

  function sendEvent(frame) {
    frame.type = "event";
    if (mode === "ws" && ws && ws.readyState === 1 && state.status === "online") {
      ws.send(JSON.stringify(frame));
    } else if (mode === "http" && state.token) {
      httpPost("/widget/messages", frame).catch(function () { /* behavioral signals are best effort */ });
    }
  }

  /* HTTP fallback: a session, then polling. */
  var pollTimer = null;
  var polling = false;
  function httpPost(path, body, noAuth) {
    var headers = { "Content-Type": "application/json" };
    if (!noAuth && state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(server + path, { method: "POST", headers: headers, body: JSON.stringify(body) }).then(function (r) {
      return r.json().then(function (b) { b.status = r.status; return b; });
    });
  }
  function startPolling() {
    if (polling) return;
    polling = true;
    httpPost("/widget/session", hello(), true).then(function (body) {
      if (body.status === 401) { state.token = null; state.visitorId = null; state.messages = []; persist(); polling = false; scheduleReconnect(); return; }
      if (body.status === 403) { refused = true; setStatus("refused", "Chat is not available on this site."); return; }
      if (body.type !== "welcome") throw new Error(body.code || "session failed");
      welcome(body);
      schedulePoll(2500);
    }).catch(function () {
      polling = false;
      setStatus("reconnecting", "Reconnecting… messages you write now will be sent when we're back.");
      scheduleReconnect();
    });
  }
  function schedulePoll(delay) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, delay || backoff());
  }
  function poll() {
    var since = "";
    for (var i = state.messages.length - 1; i >= 0; i--) {
      var id = String(state.messages[i].id || "");
      if (id && id.indexOf("local-") !== 0 && id.indexOf("live-") !== 0) { since = id; break; }
    }
    fetch(server + "/widget/messages?since=" + encodeURIComponent(since), { headers: { Authorization: "Bearer " + state.token } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (body) {
        if (state.status !== "online") { attempt = 0; setStatus("online", ""); flush(); }
        (body.messages || []).forEach(function (m) {
          if (m.client_id) state.messages = state.messages.filter(function (x) { return x.client_id !== m.client_id; });
          if (m.direction === "out") receiveLive(m); else { addMessage(m); render(); }
        });
        if (body.typing) showTyping(true);
        schedulePoll(2500);
      })
      .catch(function () {
        setStatus("reconnecting", "Reconnecting… messages you write now will be sent when we're back.");
        schedulePoll();
      });
  }

  window.addEventListener("online", function () { attempt = 0; if (mode === "ws") connect(); else schedulePoll(0); });
  window.addEventListener("offline", function () { if (state.status === "online") setStatus("offline", "You're offline. Messages will be sent when you're back online."); });

  /* ---------- behavioral signals ---------- */
  function selectorFor(node) {
    if (!node || node.nodeType !== 1) return "";
    var parts = [];
    while (node && node.nodeType === 1 && parts.length < 5) {
      if (node.id) { parts.unshift("#" + CSS.escape(node.id)); break; }
      var part = node.tagName.toLowerCase();
      var name = node.getAttribute("name");
      if (name) part += '[name="' + name.replace(/"/g, '\\"') + '"]';
      else {
        var cls = Array.prototype.slice.call(node.classList, 0, 2).map(function (c) { return "." + CSS.escape(c); }).join("");
        part += cls;
        var parent = node.parentElement;
        if (parent) {
          var same = Array.prototype.filter.call(parent.children, function (c) { return c.tagName === node.tagName; });
          if (same.length > 1) part += ":nth-of-type(" + (same.indexOf(node) + 1) + ")";
        }
      }
      parts.unshift(part);
      node = node.parentElement;
    }
    return parts.join(" > ");
  }
  function insideWidget(ev) {
    return ev.composedPath ? ev.composedPath().indexOf(host) !== -1 : host.contains(ev.target);
  }
  var lastSent = {};
  var attention = null;
  function focusOfAttention() {
    if (!attention || Date.now() - attention.at > 120000 || !attention.node.isConnected) return null;
    return attention.node;
  }
  function signal(kind, target, details) {
    var now = Date.now();
    if (lastSent[kind] && now - lastSent[kind] < 30000) return;
    lastSent[kind] = now;
    var spot = target && target.nodeType === 1 ? (target.form || target) : null;
    attention = spot && spot !== document.body ? { node: spot, at: now } : null;
    sendEvent({ event: kind, url: location.href, selector: selectorFor(target), details: details || {} });
  }

  function watchRageClicks() {
    var clicks = [];
    document.addEventListener("click", function (ev) {
      if (insideWidget(ev)) return;
      var now = Date.now();
      clicks = clicks.filter(function (c) {
        return now - c.t <= 1000 && Math.abs(ev.clientX - c.x) <= 30 && Math.abs(ev.clientY - c.y) <= 30;
      });
      clicks.push({ t: now, x: ev.clientX, y: ev.clientY });
      if (clicks.length >= 4) {
        signal("rage_click", ev.target, { clicks: clicks.length, x: Math.round(ev.clientX), y: Math.round(ev.clientY) });
        clicks = [];
      }
    }, true);
  }

  function watchIdle() {
    if (!(cfg.idleSeconds > 0)) return;
    var timer = null;
    var fired = false;
    function arm() {
      clearTimeout(timer);
      if (document.visibilityState !== "visible") return;
      timer = setTimeout(function () {
        if (document.visibilityState !== "visible" || fired) return;
        fired = true;
        signal("idle", document.activeElement && document.activeElement !== document.body ? document.activeElement : document.body, { seconds: cfg.idleSeconds });
      }, cfg.idleSeconds * 1000);
    }
    ["mousemove", "mousedown", "keydown", "scroll", "touchstart", "wheel"].forEach(function (name) {
      document.addEventListener(name, function () { fired = false; arm(); }, { capture: true, passive: true });
    });
    document.addEventListener("visibilitychange", arm);
    arm();
  }

  function watchForms() {
    var fields = typeof WeakMap === "function" ? new WeakMap() : null;
    var forms = typeof WeakMap === "function" ? new WeakMap() : null;
    if (!fields) return;
    function field(node) {
      var f = fields.get(node);
      if (!f) { f = { hadValue: false, cleared: false, refills: 0, invalid: 0 }; fields.set(node, f); }
      return f;
    }
    function formState(node) {
      var f = forms.get(node);
      if (!f) { f = { failed: 0, lastInvalidAt: 0 }; forms.set(node, f); }
      return f;
    }
    function isField(t) { return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT"); }
    function frustrated(target, reason, count) {
      var form = target.form || (target.tagName === "FORM" ? target : null);
      signal("form_frustration", target, {
        reason: reason, count: count,
        field: target.getAttribute && (target.getAttribute("name") || target.id) || null,
        form: form ? selectorFor(form) : null
      });
    }
    document.addEventListener("input", function (ev) {
      var t = ev.target;
      if (!isField(t) || insideWidget(ev) || t.type === "password") return;
      var f = field(t);
      if (t.value === "") { if (f.hadValue) f.cleared = true; }
      else {
        if (f.cleared) {
          f.cleared = false;
          f.refills += 1;
          if (f.refills >= 2) { frustrated(t, "cleared_and_refilled", f.refills); f.refills = 0; }
        }
        f.hadValue = true;
      }
    }, true);
    function fieldFailed(t) {
      var f = field(t);
      f.invalid += 1;
      if (f.invalid >= 3) { frustrated(t, "validation_failed", f.invalid); f.invalid = 0; }
    }
    function submitFailed(form, target) {
      var s = formState(form);
      s.failed += 1;
      if (s.failed >= 3) { frustrated(target || form, "failed_submits", s.failed); s.failed = 0; }
    }
    // Native validation: "invalid" fires per field on a blocked submit.
    document.addEventListener("invalid", function (ev) {
      var t = ev.target;
      if (!isField(t) || insideWidget(ev)) return;
      fieldFailed(t);
      if (t.form) {
        var s = formState(t.form);
        var now = Date.now();
        if (now - s.lastInvalidAt > 200) submitFailed(t.form, t);
        s.lastInvalidAt = now;
      }
    }, true);
    // Script validation: the page marks fields aria-invalid and cancels the submit.
    if (window.MutationObserver) {
      new MutationObserver(function (records) {
        records.forEach(function (r) {
          var t = r.target;
          if (isField(t) && t.getAttribute("aria-invalid") === "true" && r.oldValue !== "true" && !host.contains(t)) fieldFailed(t);
        });
      }).observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ["aria-invalid"], attributeOldValue: true });
    }
    document.addEventListener("submit", function (ev) {
      var form = ev.target;
      if (insideWidget(ev) || !form || form.tagName !== "FORM") return;
      setTimeout(function () {
        var bad = form.querySelector('[aria-invalid="true"]') || (form.noValidate ? form.querySelector(":invalid") : null);
        if (ev.defaultPrevented && bad) submitFailed(form, bad);
        else if (!ev.defaultPrevented) formState(form).failed = 0;
      }, 0);
    }, false);
  }

  /* ---------- start ---------- */
  function start() {
    document.body.appendChild(host);
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(KEY + ":open") === "1"; } catch (e) { /* ignore */ }
    setOpen(wasOpen || data.open === "true", { noFocus: true });
    setStatus("connecting", "Connecting…");
    if (cfg.behavior) { watchRageClicks(); watchIdle(); watchForms(); }
    connect();
  }

  window.RelaybotWidget = {
    loaded: true,
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    toggle: function () { setOpen(!state.open); },
    send: function (text) { if (text) submit({ type: "message", text: String(text) }); },
    reset: function () {
      try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
      state.token = null; state.visitorId = null; state.messages = []; state.queue = [];
      if (ws) ws.close(1000, "reset"); else connect();
      render();
    },
    get status() { return state.status; },
    get visitorId() { return state.visitorId; }
  };

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();

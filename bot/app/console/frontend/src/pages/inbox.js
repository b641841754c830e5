// The inbox's live updates: a WebSocket to /console/inbox/live that brings each new message
// and each change of a conversation. The list page moves and redraws its rows; a
// conversation's page appends messages and redraws its facts. Desktop notifications (after a
// click on "Turn on desktop notifications") for a conversation assigned to the signed-in
// agent and for a customer's message in a conversation they have. The pages work without it.
import { embedded } from "../lib/api.js";

const data = embedded("inbox-data") || {};
const me = data.me ?? null;
const status = document.getElementById("live-status");
let after = data.after || 0;
let delay = 1000;
const MAX_DELAY = 30000;

function say(text) {
  if (status) status.textContent = text;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function timeOf(iso) {
  const node = el("time", "", `${iso.slice(0, 16).replace("T", " ")} UTC`);
  node.dateTime = iso;
  return node;
}

function statusOf(value) {
  return el("span", value === "open" ? "state-on" : "state-off", value.charAt(0).toUpperCase() + value.slice(1));
}

function tagsInto(node, tags) {
  node.replaceChildren();
  tags.forEach((tag, i) => {
    if (i) node.append(" ");
    node.append(el("span", "tag", tag));
  });
}

// ---------------------------------------------------------------- the list

function cell(label, ...children) {
  const td = el("td");
  td.dataset.label = label;
  td.append(...children);
  return td;
}

function rowOf(c) {
  const tr = el("tr");
  tr.dataset.id = String(c.id);
  const link = el("a", "", c.contact);
  link.href = `/console/inbox/${c.id}`;
  const assignee = c.assignee ? [c.assignee] : [el("span", "muted", "Unassigned")];
  if (c.team) assignee.push(el("br"), el("span", "muted", `Team ${c.team}`));
  const tags = el("td");
  tags.dataset.label = "Tags";
  tagsInto(tags, c.tags);
  const preview = cell("Last message", c.preview);
  preview.className = "preview";
  tr.append(
    cell("Contact", link),
    cell("Channel", c.channel),
    preview,
    cell("Status", statusOf(c.status)),
    cell("Assignee", ...assignee),
    tags,
    cell("Time", timeOf(c.last_activity_at)),
  );
  return tr;
}

function matches(c) {
  const f = data.filters || {};
  if (f.status && f.status !== "all" && c.status !== f.status) return false;
  if (f.channel && c.channel !== f.channel) return false;
  if (f.tag && !c.tags.includes(f.tag)) return false;
  const who = f.assignee || "any";
  if (who === "unassigned" && c.assignee_id !== null) return false;
  if (who === "me" && c.assignee_id !== me) return false;
  if (/^\d+$/.test(who) && c.assignee_id !== Number(who)) return false;
  return true;
}

function updateList(body, c) {
  const old = body.querySelector(`tr[data-id="${c.id}"]`);
  if (!matches(c)) {
    if (old) old.remove();
    return;
  }
  const fresh = rowOf(c);
  if (old) {
    const newer = !old.querySelector("time") || old.querySelector("time").dateTime !== c.last_activity_at;
    if (newer && (data.page || 1) === 1) {
      old.remove();
      body.prepend(fresh);
    } else {
      old.replaceWith(fresh);
    }
  } else if ((data.page || 1) === 1) {
    body.prepend(fresh);
  }
  const empty = document.getElementById("inbox-empty");
  if (empty && body.children.length) empty.remove();
}

// ---------------------------------------------------------------- one conversation

function messageOf(m) {
  const li = el("li", `msg msg--${m.kind}`);
  li.dataset.id = String(m.id);
  const head = el("div", "msg-head");
  head.append(el("strong", "", m.author), " ", timeOf(m.created_at));
  if (m.status) head.append(" ", el("span", "muted", `(${m.status})`));
  li.append(head, el("div", "msg-text", m.text));
  return li;
}

function updateConversation(list, frame) {
  const c = frame.conversation;
  if (!data.conversation || c.id !== data.conversation.id) return;
  const m = frame.message;
  if (m && !list.querySelector(`li[data-id="${m.id}"]`)) {
    list.append(messageOf(m));
    list.scrollTop = list.scrollHeight;
  }
  const facts = {
    "fact-status": () => [statusOf(c.status)],
    "fact-assignee": () => [c.assignee || "Unassigned"],
    "fact-team": () => [c.team || "None"],
  };
  for (const [id, make] of Object.entries(facts)) {
    const node = document.getElementById(id);
    if (node) node.replaceChildren(...make());
  }
  const tags = document.getElementById("fact-tags");
  if (tags) {
    if (c.tags.length) tagsInto(tags, c.tags);
    else tags.textContent = "None";
  }
}

// ---------------------------------------------------------------- notifications

const button = document.getElementById("notify-on");

function showButton() {
  if (!button) return;
  const can = "Notification" in window;
  button.hidden = !can || me === null || Notification.permission !== "default";
}

if (button) {
  button.addEventListener("click", async () => {
    const answer = await Notification.requestPermission();
    button.hidden = answer !== "default";
    say(answer === "granted" ? "Desktop notifications are on." : "Desktop notifications are off.");
  });
}

function notify(title, body, conversationId) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const shown = new Notification(title, { body, tag: `conversation-${conversationId}` });
  shown.onclick = () => {
    window.focus();
    window.location.href = `/console/inbox/${conversationId}`;
  };
}

function maybeNotify(frame) {
  if (me === null) return;
  const c = frame.conversation;
  if (frame.type === "conversation.assigned" && frame.agent_id === me) {
    notify("Conversation assigned to you", `${c.contact}: ${c.preview}`.slice(0, 160), c.id);
  } else if (frame.type === "message.received" && c.assignee_id === me) {
    const open = data.conversation && data.conversation.id === c.id;
    if (open && document.visibilityState === "visible") return;
    const text = frame.message ? frame.message.text : c.preview;
    notify(`New message from ${c.contact}`, text.slice(0, 160), c.id);
  }
}

// ---------------------------------------------------------------- the socket

function handle(frame) {
  after = Math.max(after, frame.id);
  const body = document.getElementById("inbox-rows");
  if (body) updateList(body, frame.conversation);
  const list = document.getElementById("transcript");
  if (list) updateConversation(list, frame);
  maybeNotify(frame);
}

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${window.location.host}/console/inbox/live?after=${after}`);
  socket.addEventListener("open", () => {
    delay = 1000;
    say("Live updates on.");
    document.body.dataset.live = "on";
  });
  socket.addEventListener("message", (event) => {
    try {
      handle(JSON.parse(event.data));
    } catch (error) {
      console.error("inbox update not shown", error);
    }
  });
  socket.addEventListener("close", (event) => {
    document.body.dataset.live = "off";
    if (event.code === 4401) {
      say("Signed out: reload the page to sign in again.");
      return;
    }
    const wait = delay;
    delay = Math.min(delay * 2, MAX_DELAY);
    say(`Live updates paused; trying again in ${Math.round(wait / 1000)} s.`);
    window.setTimeout(connect, wait + Math.random() * 250);
  });
}

const transcript = document.getElementById("transcript");
if (transcript) transcript.scrollTop = transcript.scrollHeight;
showButton();
connect();

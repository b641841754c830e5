// Calls to the console's JSON API with the session cookie and, for changes, its CSRF token
// (read from the page's <meta name="csrf-token">).

/** The session's CSRF token, which every page of the console carries. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

/** GET or change something under /api; the parsed JSON answer, or an Error with the API's reason. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const reason = data.error ? `${data.error.field}: ${data.error.reason}` : answer.statusText;
    throw new Error(reason);
  }
  return data;
}

/** The JSON a page embeds in <script type="application/json" id="...">. */
export function embedded(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

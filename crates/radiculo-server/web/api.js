// The radiculo API, same origin only.

// `key`, when given, is sent as `Authorization: Bearer <key>` (the stored records need one).
// A failed answer throws an Error with the HTTP `status` and the problem document.
async function call(method, path, body, key = null) {
  const init = { method, headers: { accept: "application/json" } };
  if (key) init.headers.authorization = `Bearer ${key}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = new Error((json && json.detail) || `HTTP ${response.status}`);
    error.status = response.status;
    error.problem = json;
    throw error;
  }
  return json;
}

// One interview step: the assessment so far with `next_question`.
export const interview = (kase) => call("POST", "/v1/interview", kase);
// A full assessment.
export const assess = (kase) => call("POST", "/v1/assess", kase);
// An episode with its assessments (oldest first) and the alerts of its course, read with an
// API key.
export const readEpisode = (id, key) => call("GET", `/v1/episodes/${encodeURIComponent(id)}`, undefined, key);

let reference = null;
// The vocabulary (`/v1/findings`) and the knowledge base (`/v1/kb`), fetched once, with a
// finding index by id.
export async function loadReference() {
  if (!reference) {
    reference = Promise.all([call("GET", "/v1/findings"), call("GET", "/v1/kb")]).then(
      ([findings, kb]) => {
        const byId = new Map(findings.findings.map((f) => [f.id, f]));
        return { findings: findings.findings, byId, kb };
      },
    );
    reference.catch(() => {
      reference = null;
    });
  }
  return reference;
}

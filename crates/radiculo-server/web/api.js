// The radiculo API, same origin only.

async function call(method, path, body) {
  const init = { method, headers: { accept: "application/json" } };
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

// An integrator's journey, typed with what openapi-typescript generates from callvault's
// document (`node generate.mjs`, which types bytes as `Blob`). `cargo xtask test` type-checks it
// with `tsc`: a body or an answer the document describes wrongly is a type error here.
import type { components, operations } from "./schema.js";

type Schemas = components["schemas"];
type Json<Op extends keyof operations, Status extends number> = operations[Op]["responses"] extends {
  [S in Status]: { content: { "application/json": infer Body } };
}
  ? Body
  : never;

let base = "http://127.0.0.1:8080";

async function call(method: string, path: string, token: string | null, body?: BodyInit, type?: string, headers: Record<string, string> = {}): Promise<Response> {
  const sent: Record<string, string> = { ...headers };
  if (token) sent.authorization = `Bearer ${token}`;
  if (type) sent["content-type"] = type;
  const response = await fetch(`${base}${path}`, { method, headers: sent, body });
  if (!response.ok) {
    const problem = (await response.json()) as Schemas["Problem"];
    throw new Error(`${method} ${path}: ${response.status} ${problem.detail ?? problem.title}`);
  }
  return response;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export async function journey(server: string, tenant: string, username: string, password: string, wav: Uint8Array<ArrayBuffer>): Promise<void> {
  base = server;
  const login: Schemas["LoginRequest"] = { username, password };
  const session = await json<Json<"auth_login", 200>>(
    await call("POST", "/api/v1/auth/login", null, JSON.stringify(login), "application/json"),
  );
  const token: string = session.access_token;

  // A key of each of the three kinds the document names.
  const generate: Schemas["GenerateKey"] = { bits: 3072 };
  const publicOnly: Schemas["ImportPublicKey"] = { public_key_pem: "-----BEGIN PUBLIC KEY-----…" };
  const newKey: Schemas["NewKey"] = Math.random() < 2 ? generate : publicOnly;
  const key = await json<Json<"keys_create", 201>>(
    await call("POST", `/api/v1/tenants/${tenant}/keys`, token, JSON.stringify(newKey), "application/json"),
  );
  const mode: Schemas["KeyMode"] = "provider_held";
  const encryption: Schemas["EncryptionUpdate"] = { enabled: true, mode };
  await call("PATCH", `/api/v1/tenants/${tenant}/encryption`, token, JSON.stringify(encryption), "application/json");

  // The upload: the raw audio as a Blob, with metadata as query parameters.
  const audio: operations["recordings_upload"]["requestBody"]["content"]["application/octet-stream"] = new Blob([wav]);
  const direction: Schemas["Direction"] = "inbound";
  const metadata: operations["recordings_upload"]["parameters"]["query"] = { caller: "+4930123456", direction };
  const query = new URLSearchParams(Object.entries(metadata ?? {}).map(([name, value]) => [name, String(value)]));
  const uploaded = await json<Json<"recordings_upload", 201>>(
    await call("POST", `/api/v1/tenants/${tenant}/recordings?${query}`, token, audio, "application/octet-stream", {
      "idempotency-key": "pbx-01-call-1",
    }),
  );
  const sealedWith: string | null | undefined = uploaded.key_fingerprint;

  // A page, then the next one by its cursor.
  const sort: Schemas["Sort"] = "oldest";
  const page = await json<Json<"recordings_list", 200>>(
    await call("GET", `/api/v1/tenants/${tenant}/recordings?sort=${sort}&limit=1`, token),
  );
  const cursor: string | null | undefined = page.next_cursor;
  if (cursor) await call("GET", `/api/v1/tenants/${tenant}/recordings?limit=1&cursor=${cursor}`, token);

  // A range of the audio: the header the document declares, the answer a Blob.
  const header: operations["recordings_audio"]["parameters"]["header"] = { Range: "bytes=0-99" };
  const ranged = await call("GET", `/api/v1/tenants/${tenant}/recordings/${uploaded.id}/audio`, token, undefined, undefined, {
    range: header?.Range ?? "bytes=0-",
  });
  const part: operations["recordings_audio"]["responses"][206]["content"]["audio/*"] = await ranged.blob();
  const contentRange: operations["recordings_audio"]["responses"][206]["headers"]["Content-Range"] =
    ranged.headers.get("content-range") ?? undefined;
  const played: ArrayBuffer = await part.arrayBuffer();

  // The stored (sealed) file, a ZIP of the selection, and that ZIP imported again.
  const stored: operations["recordings_stored_file"]["responses"][200]["content"]["application/octet-stream"] = await (
    await call("GET", `/api/v1/tenants/${tenant}/recordings/${uploaded.id}/file`, token)
  ).blob();
  const selection: Schemas["ExportRequest"] = { ids: [uploaded.id] };
  const zip: operations["recordings_export"]["responses"][200]["content"]["application/zip"] = await (
    await call("POST", `/api/v1/tenants/${tenant}/recordings/export`, token, JSON.stringify(selection), "application/json")
  ).blob();
  const upload: operations["recordings_import"]["requestBody"]["content"]["application/zip"] = zip;
  const outcome = await json<Json<"recordings_import", 200>>(
    await call("POST", `/api/v1/tenants/${tenant}/recordings/import`, token, upload, "application/zip"),
  );
  const counted: number = outcome.imported + outcome.already_present;

  // Background work is typed: its kind and state are enumerations.
  const job = await json<Json<"keys_start_rewrap", 202>>(await call("POST", `/api/v1/tenants/${tenant}/rewrap`, token));
  const kind: Schemas["JobKind"] = job.kind;
  const finished: boolean = job.state === "done" || job.state === "failed";

  // The audit log, as JSON and as JSON Lines.
  const audit = await json<Json<"audit_list", 200>>(await call("GET", `/api/v1/tenants/${tenant}/audit`, token));
  const actions: string[] = audit.events.map((event) => event.action);
  const lines: string = await (await call("GET", `/api/v1/tenants/${tenant}/audit/export`, token)).text();

  console.log({ key: key.fingerprint, sealedWith, contentRange, played: played.byteLength, stored: stored.size, counted, kind, finished, actions, lines: lines.length });
}

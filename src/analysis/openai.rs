//! OpenAI-compatible Chat Completions provider.
//!
//! One wire shape covers OpenAI, Azure-compatible gateways, vLLM, Ollama, LM Studio and llama.cpp
//! servers, so the only per-deployment setting is `base_url`. Servers differ in what they accept,
//! so extraction negotiates: Structured Outputs (`response_format: json_schema`, strict) first,
//! else `json_object` with the schema in the prompt, else a forced call of a `record_profile`
//! tool; what worked is remembered per endpoint and model ([`Negotiated`]). The schema keeps to
//! what every server accepts (no regex `pattern`s: amounts are validated after parsing).
//! Drafting uses function calling with `tool_choice` sent explicitly (some servers treat tools
//! without it as none), and an assistant turn with tool calls carries no `content: null`.
//!
//! Also home of the HTTP plumbing both providers share: [`post_json`] with its retry policy.

use super::prompt::{extraction_schema_for, parse_extraction, render_analyze, render_draft};
use super::redact::Redactor;
use super::{AnalysisInput, Extraction, LlmProvider, ProviderError, ToolRunner, ToolSpec};
use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Tool rounds a draft may take before the model must answer in text.
pub const MAX_TOOL_ROUNDS: usize = 4;
/// Attempts per HTTP exchange (the first try and two retries).
pub const MAX_ATTEMPTS: u32 = 3;
/// First backoff step when the server gives no `Retry-After`; doubles per attempt.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);

/// How an endpoint takes a structured answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    JsonSchema,
    JsonObject,
    ForcedTool,
}

impl Mode {
    fn next(self) -> Option<Mode> {
        match self {
            Mode::JsonSchema => Some(Mode::JsonObject),
            Mode::JsonObject => Some(Mode::ForcedTool),
            Mode::ForcedTool => None,
        }
    }
}

/// What each endpoint (base URL and model) was found to accept, kept for the process so the
/// negotiation happens once per endpoint, not once per message.
#[derive(Debug, Default)]
pub struct Negotiated(std::sync::Mutex<std::collections::HashMap<String, Mode>>);

impl Negotiated {
    pub fn get(&self, endpoint: &str) -> Option<Mode> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(endpoint).copied()
    }

    fn set(&self, endpoint: &str, mode: Mode) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(endpoint.to_owned(), mode);
    }
}

/// The tool a server without structured outputs is made to call with the extraction.
const RECORD_TOOL: &str = "record_profile";
/// Output bound of the fallback modes: a profile extraction is a few hundred tokens.
const FALLBACK_MAX_TOKENS: u32 = 2048;

pub struct OpenAiProvider {
    negotiated: std::sync::Arc<Negotiated>,
    http: reqwest::Client,
    base_url: String,
    model: String,
    api_key: SecretString,
    timeout: Duration,
    redact: bool,
    backoff: Duration,
    temperature: Option<f64>,
}

impl OpenAiProvider {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.openai.com/v1";

    /// `base_url` is the API root that `/chat/completions` hangs off (default OpenAI's `/v1`).
    /// An empty `api_key` sends no `Authorization` header (local servers need none).
    pub fn new(
        http: reqwest::Client,
        base_url: Option<&str>,
        model: impl Into<String>,
        api_key: SecretString,
        timeout: Duration,
        redact: bool,
    ) -> Self {
        OpenAiProvider {
            negotiated: Default::default(),
            http,
            base_url: base_url
                .unwrap_or(Self::DEFAULT_BASE_URL)
                .trim_end_matches('/')
                .to_owned(),
            model: model.into(),
            api_key,
            timeout,
            redact,
            backoff: DEFAULT_BACKOFF,
            temperature: None,
        }
    }

    /// Sets the sampling temperature sent with every request; `None` sends none (the model's
    /// default; newer models reject the parameter).
    pub fn with_temperature(mut self, t: Option<f64>) -> Self {
        self.temperature = t;
        self
    }

    /// Shares what endpoints were found to accept (the process keeps one [`Negotiated`]).
    pub fn with_negotiated(mut self, n: std::sync::Arc<Negotiated>) -> Self {
        self.negotiated = n;
        self
    }

    fn endpoint(&self) -> String {
        format!("{}#{}", self.base_url, self.model)
    }

    /// The extraction request in `mode`.
    ///
    /// Only the first mode is sent exactly as OpenAI documents it; the fallbacks carry what
    /// local servers need.
    fn extract_body(&self, mode: Mode, system: &str, user: &str, schema: &Value) -> Value {
        let mut body = match mode {
            Mode::JsonSchema => json!({
                "model": self.model,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
                "response_format": {"type": "json_schema", "json_schema": {
                    "name": "customer_profile", "strict": true, "schema": schema }},
            }),
            Mode::JsonObject => json!({
                "model": self.model,
                "messages": [
                    {"role": "system", "content": format!(
                        "{system}\n\nAnswer with one JSON object that follows this JSON Schema, and nothing else:\n{schema}")},
                    {"role": "user", "content": user},
                ],
                // `schema` beside `json_object` is how llama.cpp, llama-cpp-python and LM
                // Studio constrain the JSON (a grammar); servers that do not know it ignore it.
                "response_format": {"type": "json_object", "schema": schema},
                // Reached only where `json_schema` was refused (not OpenAI, whose reasoning
                // models refuse `max_tokens`): a bound, so a looping local model stops.
                "max_tokens": FALLBACK_MAX_TOKENS,
            }),
            Mode::ForcedTool => json!({
                "model": self.model,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
                "tools": [{"type": "function", "function": {
                    "name": RECORD_TOOL,
                    "description": "Record what the messages show about the customer. Null or [] for what they do not show.",
                    "parameters": schema }}],
                "tool_choice": {"type": "function", "function": {"name": RECORD_TOOL}},
                "max_tokens": FALLBACK_MAX_TOKENS,
            }),
        };
        self.sampling(&mut body);
        body
    }

    /// The structured answer in `mode`'s place: the content, or the forced tool call's arguments.
    fn structured(mode: Mode, message: &Value) -> Result<Value, ProviderError> {
        match mode {
            Mode::ForcedTool => {
                let args = message
                    .pointer("/tool_calls/0/function/arguments")
                    .ok_or_else(|| ProviderError::Invalid("the model did not call record_profile".into()))?;
                match args {
                    Value::String(s) => parse_json_text(s),
                    v @ Value::Object(_) => Ok(v.clone()),
                    _ => Err(ProviderError::Invalid(
                        "record_profile arguments are not an object".into(),
                    )),
                }
            }
            _ => {
                let content =
                    content_text(message).ok_or_else(|| ProviderError::Invalid("answer has no content".into()))?;
                parse_json_text(&content)
            }
        }
    }

    /// Sets the first backoff step (tests use a few milliseconds).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff = base;
        self
    }

    fn headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>, ProviderError> {
        let key = self.api_key.expose_secret();
        if key.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![(
            reqwest::header::AUTHORIZATION,
            secret_header(&format!("Bearer {key}"))?,
        )])
    }

    /// Adds the sampling parameters the operator configured (none by default).
    fn sampling(&self, body: &mut Value) {
        if let Some(t) = self.temperature {
            body["temperature"] = json!(t);
        }
    }

    async fn chat(&self, body: &Value) -> Result<Value, ProviderError> {
        let url = format!("{}/chat/completions", self.base_url);
        post_json(&self.http, &url, self.headers()?, body, self.timeout, self.backoff).await
    }
}

/// A header value that never shows in debug output or logs.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, ProviderError> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| ProviderError::Transport("the API key is not a valid header value".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

/// Cuts an error body so a huge HTML error page does not end up in a profile note.
fn clip(body: &str) -> String {
    const MAX: usize = 500;
    let body = body.trim();
    if body.chars().count() <= MAX {
        body.to_owned()
    } else {
        body.chars().take(MAX).chain("…".chars()).collect()
    }
}

/// Seconds to wait from `Retry-After` (seconds; HTTP dates are ignored) or OpenAI's
/// `retry-after-ms`.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    get("retry-after")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// Whether a failure means the server does not take this way of asking (the request's shape),
/// rather than a passing fault: a 4xx other than auth and rate limits, a 5xx whose body names the
/// feature (llama.cpp answers 500 to some `json_schema`s), or an answer that is not the structure
/// asked for. A bare 5xx is a passing fault: it is retried in the same mode, never downgraded.
fn unsupported(e: &ProviderError) -> bool {
    match e {
        ProviderError::Status { status, body } => {
            matches!(status, 400 | 404 | 405 | 415 | 422) || (matches!(status, 500 | 501) && says_unsupported(body))
        }
        ProviderError::Invalid(why) => !why.contains("refused") && !why.contains("cut off"),
        ProviderError::Transport(_) => false,
    }
}

/// A 5xx whose body says a feature is unsupported is not worth retrying.
fn says_unsupported(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    [
        "response_format",
        "json_schema",
        "not supported",
        "unsupported",
        "grammar",
        "tool_choice",
    ]
    .iter()
    .any(|w| b.contains(w))
}

fn retryable(status: u16) -> bool {
    // 529 is Anthropic's "overloaded"; it is a 5xx like the others.
    status == 429 || (500..=599).contains(&status)
}

/// POSTs JSON and returns the JSON answer. 429 and 5xx are retried (at most [`MAX_ATTEMPTS`]
/// attempts) after `Retry-After` or an exponential backoff with jitter; the whole exchange,
/// waits included, stays within `timeout`. Other 4xx fail at once: retrying cannot fix them.
pub(crate) async fn post_json(
    http: &reqwest::Client,
    url: &str,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: &Value,
    timeout: Duration,
    backoff: Duration,
) -> Result<Value, ProviderError> {
    let deadline = Instant::now() + timeout;
    let mut attempt = 1;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(ProviderError::Transport(format!(
                "no answer within {}s",
                timeout.as_secs_f32()
            )));
        }
        let mut req = http.post(url).timeout(remaining).json(body);
        for (name, value) in &headers {
            req = req.header(name.clone(), value.clone());
        }
        let (wait, error) = match req.send().await {
            Err(e) if e.is_timeout() => {
                return Err(ProviderError::Transport(format!(
                    "no answer within {}s",
                    timeout.as_secs_f32()
                )));
            }
            Err(e) => {
                // Connection refused or reset: the request may never have arrived; worth one more try.
                let retry = e.is_connect();
                let err = ProviderError::Transport(e.without_url().to_string());
                if !retry {
                    return Err(err);
                }
                (None, err)
            }
            Ok(resp) => {
                let status = resp.status().as_u16();
                let hint = retry_after(resp.headers());
                let text = match resp.text().await {
                    Ok(t) => t,
                    Err(e) if e.is_timeout() => {
                        return Err(ProviderError::Transport(format!(
                            "no answer within {}s",
                            timeout.as_secs_f32()
                        )));
                    }
                    Err(e) => return Err(ProviderError::Transport(e.without_url().to_string())),
                };
                if (200..300).contains(&status) {
                    return serde_json::from_str(&text)
                        .map_err(|e| ProviderError::Invalid(format!("answer is not JSON: {e}")));
                }
                let err = ProviderError::Status {
                    status,
                    body: clip(&text),
                };
                if !retryable(status) || says_unsupported(&text) {
                    return Err(err);
                }
                (hint, err)
            }
        };
        if attempt >= MAX_ATTEMPTS {
            return Err(error);
        }
        let wait = wait.unwrap_or_else(|| {
            let step = backoff.saturating_mul(1 << (attempt - 1));
            step.mul_f64(rand::random_range(0.8..1.2))
        });
        if Instant::now() + wait >= deadline {
            return Err(error);
        }
        tracing::debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            "LLM request failed; retrying"
        );
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// Parses a JSON object a model wrote as text, tolerating a Markdown code fence around it
/// (some OpenAI-compatible servers add one even in JSON mode).
pub(crate) fn parse_json_text(text: &str) -> Result<Value, ProviderError> {
    let t = text.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"))
        .unwrap_or(t)
        .trim();
    serde_json::from_str(t).map_err(|e| ProviderError::Invalid(format!("content is not valid JSON: {e}")))
}

/// `choices[0].message`, checked.
fn first_message(resp: &Value) -> Result<&Value, ProviderError> {
    resp.get("choices")
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("message"))
        .filter(|m| m.is_object())
        .ok_or_else(|| ProviderError::Invalid("answer has no choices[0].message".into()))
}

fn finish_reason(resp: &Value) -> Option<&str> {
    resp.pointer("/choices/0/finish_reason").and_then(Value::as_str)
}

/// The message text: a string, or (some servers) an array of `{type: "text", text}` parts.
fn content_text(message: &Value) -> Option<String> {
    match message.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let text: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!text.is_empty()).then(|| text.join(""))
        }
        _ => None,
    }
}

fn check_refusal(message: &Value) -> Result<(), ProviderError> {
    match message.get("refusal").and_then(Value::as_str) {
        Some(r) if !r.trim().is_empty() => Err(ProviderError::Invalid(format!("the model refused: {}", clip(r)))),
        _ => Ok(()),
    }
}

/// Runs one tool call for the model: placeholders in the arguments are restored first, and the
/// result (or error) is redacted before it goes back out.
pub(crate) fn run_one_tool(
    name: &str,
    mut args: Value,
    run_tool: ToolRunner<'_>,
    redactor: &mut Redactor,
    redact: bool,
) -> (String, bool) {
    redactor.restore_json(&mut args);
    let (text, is_error) = match run_tool(name, args) {
        Ok(v) => (v.to_string(), false),
        Err(e) => (json!({ "error": e }).to_string(), true),
    };
    let text = if redact { redactor.redact(&text) } else { text };
    (text, is_error)
}

/// The final draft text: placeholders restored, trimmed; an empty answer is no draft.
pub(crate) fn finish_draft(text: &str, redactor: &Redactor) -> Result<String, ProviderError> {
    let out = redactor.restore(text).trim().to_owned();
    if out.is_empty() {
        return Err(ProviderError::Invalid("the model wrote no draft text".into()));
    }
    Ok(out)
}

#[async_trait]
impl LlmProvider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    async fn extract(&self, input: &AnalysisInput<'_>) -> Result<Extraction, ProviderError> {
        let (system, user) = render_analyze(input)?;
        let mut redactor = Redactor::for_input(input);
        let (system, user) = if self.redact {
            (redactor.redact(&system), redactor.redact(&user))
        } else {
            (system, user)
        };
        let schema = extraction_schema_for(input.stages, input.fields);
        let endpoint = self.endpoint();
        let mut mode = self.negotiated.get(&endpoint).unwrap_or(Mode::JsonSchema);
        loop {
            let body = self.extract_body(mode, &system, &user, &schema);
            let answer = match self.chat(&body).await {
                Ok(resp) => {
                    let message = first_message(&resp)?.clone();
                    check_refusal(&message)?;
                    if finish_reason(&resp) == Some("length") {
                        return Err(ProviderError::Invalid(
                            "the answer was cut off (finish_reason: length)".into(),
                        ));
                    }
                    Self::structured(mode, &message)
                }
                Err(e) => Err(e),
            };
            match answer {
                Ok(v) => {
                    self.negotiated.set(&endpoint, mode);
                    return parse_extraction(v, input, &redactor);
                }
                // The server does not take this way of asking: try the next, once.
                Err(e) if unsupported(&e) => match mode.next() {
                    Some(next) => {
                        tracing::info!(
                            ?mode,
                            ?next,
                            "the LLM endpoint refused a structured-output mode; trying the next"
                        );
                        mode = next;
                    }
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            }
        }
    }

    async fn draft(
        &self,
        input: &AnalysisInput<'_>,
        instructions: Option<&str>,
        tools: &[ToolSpec],
        run_tool: ToolRunner<'_>,
    ) -> Result<String, ProviderError> {
        let (system, user) = render_draft(input, instructions, tools)?;
        let mut redactor = Redactor::for_input(input);
        let (system, user) = if self.redact {
            (redactor.redact(&system), redactor.redact(&user))
        } else {
            (system, user)
        };
        let tool_defs: Vec<Value> = tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters,
                }})
            })
            .collect();
        let mut messages = vec![
            json!({"role": "system", "content": system}),
            json!({"role": "user", "content": user}),
        ];
        for round in 0..=MAX_TOOL_ROUNDS {
            let mut body = json!({"model": self.model, "messages": messages});
            self.sampling(&mut body);
            if !tool_defs.is_empty() {
                body["tools"] = json!(tool_defs);
                // Sent explicitly: some servers treat tools without a tool_choice as none.
                // Out of rounds, the model must answer with what it has.
                body["tool_choice"] = json!(if round == MAX_TOOL_ROUNDS { "none" } else { "auto" });
            }
            let resp = self.chat(&body).await?;
            let message = first_message(&resp)?;
            check_refusal(message)?;
            let calls: Vec<Value> = message
                .get("tool_calls")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if calls.is_empty() || round == MAX_TOOL_ROUNDS {
                let text = content_text(message).unwrap_or_default();
                return finish_draft(&text, &redactor);
            }
            // Content always a string, "" when the model wrote none: llama.cpp refuses
            // `content: null` beside tool calls, and its chat templates fail when it is absent.
            let text = message.get("content").and_then(Value::as_str).unwrap_or_default();
            messages.push(json!({"role": "assistant", "content": text, "tool_calls": calls}));
            for call in &calls {
                let id = call.get("id").and_then(Value::as_str).unwrap_or_default();
                let name = call
                    .pointer("/function/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let raw = call.pointer("/function/arguments");
                let args = match raw {
                    Some(Value::String(s)) if s.trim().is_empty() => Ok(json!({})),
                    Some(Value::String(s)) => serde_json::from_str::<Value>(s),
                    Some(v @ Value::Object(_)) => Ok(v.clone()),
                    _ => Ok(json!({})),
                };
                let content = match args {
                    Ok(args) => run_one_tool(name, args, run_tool, &mut redactor, self.redact).0,
                    Err(e) => json!({"error": format!("arguments are not valid JSON: {e}")}).to_string(),
                };
                messages.push(json!({"role": "tool", "tool_call_id": id, "content": content}));
            }
        }
        Err(ProviderError::Invalid("no draft after the tool rounds".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::prompt::tests::{catalog, input, messages, profile, stages};
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    fn provider(server: &MockServer) -> OpenAiProvider {
        OpenAiProvider::new(
            reqwest::Client::new(),
            Some(&format!("{}/v1/", server.uri())),
            "gpt-test",
            SecretString::from("sk-test-123"),
            Duration::from_secs(5),
            true,
        )
        .with_backoff(Duration::from_millis(10))
    }

    fn completion(content: &str) -> Value {
        json!({
            "id": "chatcmpl-123", "object": "chat.completion", "created": 1_790_000_000, "model": "gpt-test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
        })
    }

    fn extraction_json() -> String {
        json!({
            "stage": {"value": "negotiating", "evidence": ["wamid.3"]},
            "intent": {"value": "price", "evidence": ["wamid.3", "wamid.42"]},
            "interests": [{"make": "Toyota", "model": "Corolla", "year": 2022, "evidence": ["wamid.1"]}],
            "budget": {"amount": "25000", "currency": "USD", "period": "total", "evidence": ["wamid.3"]},
            "financing": null, "trade_in": null, "urgency": "normal", "sentiment": "positive",
            "name": {"value": "Mariana", "evidence": ["wamid.3"]},
            "email": {"value": "[EMAIL_1]", "evidence": ["wamid.3"]},
            "language": "es", "objections": [], "open_questions": [],
            "summary": "Mariana wants a 2022 Corolla; budget 25,000 USD.", "next_best_action": "Quote the Corolla."
        })
        .to_string()
    }

    fn body_of(req: &Request) -> Value {
        serde_json::from_slice(&req.body).unwrap()
    }

    /// A server like llama.cpp's: `json_schema` is an HTTP 500, `json_object` works (or not, with
    /// `object_ok = false`), forced tool calls work.
    struct LlamaLike {
        object_ok: bool,
    }

    impl wiremock::Respond for LlamaLike {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            let b = body_of(req);
            match b["response_format"]["type"].as_str() {
                Some("json_schema") => ResponseTemplate::new(500)
                    .set_body_string(r#"{"error":{"message":"response_format json_schema is not supported"}}"#),
                Some("json_object") if self.object_ok => {
                    ResponseTemplate::new(200).set_body_json(completion(&extraction_json()))
                }
                Some(_) => ResponseTemplate::new(400).set_body_string("bad response_format"),
                None if b["tool_choice"]["function"]["name"] == "record_profile" => ResponseTemplate::new(200)
                    .set_body_json(json!({
                        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
                          "content": null, "tool_calls": [{"id": "c1", "type": "function",
                          "function": {"name": "record_profile", "arguments": extraction_json()}}]}}]})),
                None => ResponseTemplate::new(200).set_body_json(completion("plain text")),
            }
        }
    }

    #[tokio::test]
    async fn extraction_negotiates_what_the_server_takes_and_remembers_it() {
        for (object_ok, want) in [(true, Mode::JsonObject), (false, Mode::ForcedTool)] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(LlamaLike { object_ok })
                .mount(&server)
                .await;
            let negotiated = std::sync::Arc::new(Negotiated::default());
            let p0 = provider(&server).with_negotiated(negotiated.clone());
            let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
            let ext = p0.extract(&input(&p, &msgs, &st, &cat)).await.unwrap();
            assert_eq!(ext.budget.unwrap().amount, "25000");
            assert_eq!(negotiated.get(&p0.endpoint()), Some(want));
            let first = server.received_requests().await.unwrap().len();
            assert!(first <= 3, "an unsupported 500 is not retried: {first} requests");
            // The next extraction goes straight to what worked.
            provider(&server)
                .with_negotiated(negotiated.clone())
                .extract(&input(&p, &msgs, &st, &cat))
                .await
                .unwrap();
            let reqs = server.received_requests().await.unwrap();
            assert_eq!(reqs.len(), first + 1);
            let last = body_of(reqs.last().unwrap());
            match want {
                Mode::JsonObject => assert_eq!(last["response_format"]["type"], "json_object"),
                _ => assert_eq!(last["tool_choice"]["function"]["name"], "record_profile"),
            }
            let raw = String::from_utf8_lossy(&reqs[0].body);
            assert!(!raw.contains("\"pattern\""), "no regex patterns in the schema");
        }
    }

    #[tokio::test]
    async fn extract_sends_strict_schema_redacted_and_parses() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", "Bearer sk-test-123"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(&extraction_json())))
            .expect(1)
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let ext = provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.unwrap();
        assert_eq!(ext.stage.as_ref().unwrap().value, "negotiating");
        assert_eq!(
            ext.intent.as_ref().unwrap().evidence,
            vec!["wamid.3"],
            "wamid.42 is dropped"
        );
        assert_eq!(ext.email.unwrap().value, "mariana@example.com", "placeholder restored");
        assert_eq!(ext.budget.unwrap().amount, "25000");

        let reqs = server.received_requests().await.unwrap();
        let body = body_of(&reqs[0]);
        assert_eq!(body["model"], "gpt-test");
        assert!(
            body.get("temperature").is_none(),
            "no sampling parameter unless configured"
        );
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        assert_eq!(
            body["response_format"]["json_schema"]["schema"]["additionalProperties"],
            false
        );
        assert_eq!(body["messages"][0]["role"], "system");
        let raw = String::from_utf8_lossy(&reqs[0].body);
        assert!(!raw.contains("mariana@example.com"), "e-mail left the server");
        assert!(
            !raw.contains("1234 5678") && !raw.contains("5215512345678"),
            "phone left the server"
        );
        assert!(raw.contains("[EMAIL_1]") && raw.contains("[PHONE_1]"));
        assert!(raw.contains("25,000 USD"), "amounts are kept");
    }

    #[tokio::test]
    async fn retries_429_after_retry_after() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .set_body_string("slow down"),
            )
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(&extraction_json())))
            .expect(1)
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let started = Instant::now();
        let ext = provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(950), "Retry-After honoured");
        assert!(ext.stage.is_some());
    }

    #[tokio::test]
    async fn gives_up_after_three_5xx() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
            .expect(3)
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let err = provider(&server)
            .extract(&input(&p, &msgs, &st, &cat))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Status { status: 500, .. }), "{err}");
    }

    #[tokio::test]
    async fn a_400_is_never_retried_only_asked_once_in_each_mode() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(json!({"error": {"message": "Invalid schema", "type": "invalid_request_error"}})),
            )
            // json_schema, json_object, then the forced tool: once each.
            .expect(3)
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let err = provider(&server)
            .extract(&input(&p, &msgs, &st, &cat))
            .await
            .unwrap_err();
        match err {
            ProviderError::Status { status, body } => {
                assert_eq!(status, 400);
                assert!(body.contains("Invalid schema"));
            }
            e => panic!("unexpected {e}"),
        }
    }

    #[tokio::test]
    async fn invalid_answers_are_invalid() {
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let refusal = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}, "finish_reason": "stop"}]});
        let cases = [
            completion("this is not json"),
            completion(r#"{"interests": "Corolla"}"#),
            refusal,
            json!({"choices": []}),
            json!({"unexpected": true}),
        ];
        for answer in cases {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
                .mount(&server)
                .await;
            let err = provider(&server)
                .extract(&input(&p, &msgs, &st, &cat))
                .await
                .unwrap_err();
            assert!(matches!(err, ProviderError::Invalid(_)), "{answer} → {err}");
        }
        // A value outside the contract is dropped with its reason, the rest kept.
        for (answer, why) in [
            (
                completion(r#"{"stage": {"value": "closing", "evidence": []}, "urgency": "high"}"#),
                "unknown stage `closing`",
            ),
            (
                completion(
                    r#"{"budget": {"amount": "25,000", "currency": "USD", "period": "total", "evidence": []}, "urgency": "high"}"#,
                ),
                "budget amount `25,000` is not a plain decimal",
            ),
        ] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
                .mount(&server)
                .await;
            let ext = provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.unwrap();
            assert_eq!(ext.dropped, [why]);
            assert!(ext.stage.is_none() && ext.budget.is_none());
            assert_eq!(ext.urgency.as_deref(), Some("high"));
        }
        // Not JSON at all.
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
            .mount(&server)
            .await;
        let err = provider(&server)
            .extract(&input(&p, &msgs, &st, &cat))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Invalid(_)), "{err}");
    }

    #[tokio::test]
    async fn fenced_json_from_local_servers_is_accepted() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(completion(&format!("```json\n{}\n```", extraction_json()))),
            )
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        assert!(provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.is_ok());
    }

    #[tokio::test]
    async fn draft_runs_tools_then_answers() {
        let server = MockServer::start().await;
        let tool_call = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [{"id": "call_abc", "type": "function", "function": {
                    "name": "lowest_price", "arguments": "{\"model\":\"Corolla\",\"year\":2022,\"notify\":\"[EMAIL_1]\"}"}}]
            }}]
        });
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(tool_call))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(
                "¡Hola Mariana! El Corolla 2022 está desde 23,900 USD. Te confirmo a [EMAIL_1]. ¿Vienes el sábado?",
            )))
            .mount(&server)
            .await;
        let seen = std::sync::Mutex::new(Vec::new());
        let runner = |name: &str, args: Value| -> Result<Value, String> {
            seen.lock().unwrap().push((name.to_owned(), args));
            Ok(json!({"price": "23900", "currency": "USD", "branch": "Polanco"}))
        };
        let tools = vec![ToolSpec {
            name: "lowest_price".into(),
            description: "Lowest listed price".into(),
            parameters: json!({"type": "object", "properties": {"model": {"type": "string"}}}),
        }];
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let draft = provider(&server)
            .draft(&input(&p, &msgs, &st, &cat), None, &tools, &runner)
            .await
            .unwrap();
        assert!(
            draft.contains("23,900 USD") && draft.contains("mariana@example.com"),
            "{draft}"
        );
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].1["notify"], "mariana@example.com", "tool input restored");

        let reqs = server.received_requests().await.unwrap();
        assert_eq!(reqs.len(), 2);
        let first = body_of(&reqs[0]);
        assert_eq!(first["tools"][0]["type"], "function");
        assert_eq!(first["tools"][0]["function"]["name"], "lowest_price");
        let second = body_of(&reqs[1]);
        let msgs_sent = second["messages"].as_array().unwrap();
        assert_eq!(msgs_sent[2]["role"], "assistant");
        assert_eq!(msgs_sent[2]["tool_calls"][0]["id"], "call_abc");
        assert_eq!(
            msgs_sent[2]["content"], "",
            "content is a string beside tool calls, never null or absent"
        );
        assert_eq!(body_of(&reqs[0])["tool_choice"], "auto", "tool_choice sent explicitly");
        assert_eq!(msgs_sent[3]["role"], "tool");
        assert_eq!(msgs_sent[3]["tool_call_id"], "call_abc");
        assert!(msgs_sent[3]["content"].as_str().unwrap().contains("23900"));
        for r in &reqs {
            let raw = String::from_utf8_lossy(&r.body);
            assert!(!raw.contains("mariana@example.com"));
        }
    }

    #[tokio::test]
    async fn draft_stops_after_max_rounds() {
        let server = MockServer::start().await;
        let looping = json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Un momento",
            "tool_calls": [{"id": "call_x", "type": "function", "function": {"name": "search", "arguments": "not json"}}]}}]});
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(looping))
            .expect(MAX_TOOL_ROUNDS as u64 + 1)
            .mount(&server)
            .await;
        let runner = |_: &str, _: Value| -> Result<Value, String> { Err("no".into()) };
        let tools = vec![ToolSpec {
            name: "search".into(),
            description: "Inventory search".into(),
            parameters: json!({"type": "object"}),
        }];
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let draft = provider(&server)
            .draft(&input(&p, &msgs, &st, &cat), Some("be brief"), &tools, &runner)
            .await
            .unwrap();
        assert_eq!(draft, "Un momento");
        let reqs = server.received_requests().await.unwrap();
        assert_eq!(body_of(reqs.last().unwrap())["tool_choice"], "none");
        assert!(
            body_of(&reqs[1])["messages"][3]["content"]
                .as_str()
                .unwrap()
                .contains("not valid JSON")
        );
    }

    #[tokio::test]
    async fn no_auth_header_without_key_and_no_redaction_when_off() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(&extraction_json())))
            .mount(&server)
            .await;
        let p = OpenAiProvider::new(
            reqwest::Client::new(),
            Some(&format!("{}/v1", server.uri())),
            "llama",
            SecretString::from(""),
            Duration::from_secs(5),
            false,
        );
        let (prof, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let ext = p.extract(&input(&prof, &msgs, &st, &cat)).await.unwrap();
        assert_eq!(
            ext.email.map(|e| e.value),
            None,
            "a placeholder is no e-mail when nothing was redacted"
        );
        let reqs = server.received_requests().await.unwrap();
        assert!(reqs[0].headers.get("authorization").is_none());
        assert!(String::from_utf8_lossy(&reqs[0].body).contains("mariana@example.com"));
    }

    #[tokio::test]
    async fn timeout_is_a_transport_error() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(800)))
            .mount(&server)
            .await;
        let p = OpenAiProvider::new(
            reqwest::Client::new(),
            Some(&server.uri()),
            "m",
            SecretString::from("k"),
            Duration::from_millis(100),
            true,
        );
        let (prof, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let err = p.extract(&input(&prof, &msgs, &st, &cat)).await.unwrap_err();
        assert!(matches!(err, ProviderError::Transport(_)), "{err}");
    }

    #[test]
    fn reads_retry_after() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2026 07:28:00 GMT"));
        assert_eq!(retry_after(&h), None);
    }
}

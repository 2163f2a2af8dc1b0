//! Anthropic Messages API provider.
//!
//! Structured output goes through tool use: the model is made to call one tool, `record_profile`,
//! whose `input_schema` is the extraction schema, and the tool call's `input` is the answer. That
//! is the documented way to get schema-shaped JSON from the Messages API. Drafting uses tools like
//! the OpenAI provider; retries and redaction follow the same policy ([`post_json`]).

use super::openai::{MAX_TOOL_ROUNDS, finish_draft, post_json, run_one_tool, secret_header};
use super::prompt::{extraction_schema_for, parse_extraction, render_analyze, render_draft};
use super::redact::Redactor;
use super::{AnalysisInput, Extraction, LlmProvider, ProviderError, ToolRunner, ToolSpec};
use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::time::Duration;

/// The API version this client speaks (request and answer shapes).
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// The tool whose input is the extraction.
pub const RECORD_TOOL: &str = "record_profile";

const EXTRACT_MAX_TOKENS: u32 = 2048;
const DRAFT_MAX_TOKENS: u32 = 1024;

pub struct AnthropicProvider {
    http: reqwest::Client,
    base_url: String,
    model: String,
    api_key: SecretString,
    timeout: Duration,
    redact: bool,
    backoff: Duration,
    temperature: Option<f64>,
}

impl AnthropicProvider {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.anthropic.com";

    /// `base_url` is the host root; requests go to `{base_url}/v1/messages`.
    pub fn new(
        http: reqwest::Client,
        base_url: Option<&str>,
        model: impl Into<String>,
        api_key: SecretString,
        timeout: Duration,
        redact: bool,
    ) -> Self {
        AnthropicProvider {
            http,
            base_url: base_url
                .unwrap_or(Self::DEFAULT_BASE_URL)
                .trim_end_matches('/')
                .to_owned(),
            model: model.into(),
            api_key,
            timeout,
            redact,
            backoff: super::openai::DEFAULT_BACKOFF,
            temperature: None,
        }
    }

    /// Sets the sampling temperature sent with every request; `None` sends none (the model's
    /// default; newer models reject the parameter).
    pub fn with_temperature(mut self, t: Option<f64>) -> Self {
        self.temperature = t;
        self
    }

    /// Sets the first backoff step (tests use a few milliseconds).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff = base;
        self
    }

    async fn messages(&self, body: &Value) -> Result<Value, ProviderError> {
        let headers = vec![
            (
                HeaderName::from_static("x-api-key"),
                secret_header(self.api_key.expose_secret())?,
            ),
            (
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static(ANTHROPIC_VERSION),
            ),
        ];
        let url = format!("{}/v1/messages", self.base_url);
        // `json()` sets `content-type: application/json`.
        post_json(&self.http, &url, headers, body, self.timeout, self.backoff).await
    }
}

fn content_blocks(resp: &Value) -> Result<&Vec<Value>, ProviderError> {
    resp.get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::Invalid("answer has no content blocks".into()))
}

fn stop_reason(resp: &Value) -> Option<&str> {
    resp.get("stop_reason").and_then(Value::as_str)
}

fn joined_text(blocks: &[Value]) -> String {
    blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("")
}

#[async_trait]
impl LlmProvider for AnthropicProvider {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    async fn extract(&self, input: &AnalysisInput<'_>) -> Result<Extraction, ProviderError> {
        let (system, user) = render_analyze(input)?;
        let mut redactor = Redactor::for_input(input);
        let (system, user) = if self.redact {
            (redactor.redact(&system), redactor.redact(&user))
        } else {
            (system, user)
        };
        let mut body = json!({
            "model": self.model,
            "max_tokens": EXTRACT_MAX_TOKENS,
            "system": system,
            "messages": [{"role": "user", "content": user}],
            "tools": [{
                "name": RECORD_TOOL,
                "description": "Record what the messages show about the customer. Null or [] for what they do not show.",
                "input_schema": extraction_schema_for(input.stages, input.fields),
            }],
            "tool_choice": {"type": "tool", "name": RECORD_TOOL},
        });
        if let Some(t) = self.temperature {
            body["temperature"] = json!(t);
        }
        let resp = self.messages(&body).await?;
        match stop_reason(&resp) {
            Some("max_tokens") => {
                return Err(ProviderError::Invalid(
                    "the answer was cut off (stop_reason: max_tokens)".into(),
                ));
            }
            Some("refusal") => return Err(ProviderError::Invalid("the model refused".into())),
            _ => {}
        }
        let call = content_blocks(&resp)?
            .iter()
            .find(|b| {
                b.get("type").and_then(Value::as_str) == Some("tool_use")
                    && b.get("name").and_then(Value::as_str) == Some(RECORD_TOOL)
            })
            .ok_or_else(|| ProviderError::Invalid(format!("answer has no {RECORD_TOOL} tool call")))?;
        let value = match call.get("input") {
            // Some gateways pass the input through as a JSON string.
            Some(Value::String(s)) => super::openai::parse_json_text(s)?,
            Some(v) => v.clone(),
            None => return Err(ProviderError::Invalid("tool call has no input".into())),
        };
        parse_extraction(value, input, &redactor)
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
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        let mut messages = vec![json!({"role": "user", "content": user})];
        for round in 0..=MAX_TOOL_ROUNDS {
            let mut body = json!({
                "model": self.model,
                "max_tokens": DRAFT_MAX_TOKENS,
                "system": system,
                "messages": messages,
            });
            if let Some(t) = self.temperature {
                body["temperature"] = json!(t);
            }
            if !tool_defs.is_empty() {
                body["tools"] = json!(tool_defs);
                if round == MAX_TOOL_ROUNDS {
                    // Out of rounds: the model must answer with what it has.
                    body["tool_choice"] = json!({"type": "none"});
                }
            }
            let resp = self.messages(&body).await?;
            if stop_reason(&resp) == Some("refusal") {
                return Err(ProviderError::Invalid("the model refused".into()));
            }
            let blocks = content_blocks(&resp)?;
            let calls: Vec<&Value> = blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
                .collect();
            if stop_reason(&resp) != Some("tool_use") || calls.is_empty() || round == MAX_TOOL_ROUNDS {
                return finish_draft(&joined_text(blocks), &redactor);
            }
            messages.push(json!({"role": "assistant", "content": blocks}));
            let results: Vec<Value> = calls
                .iter()
                .map(|call| {
                    let id = call.get("id").and_then(Value::as_str).unwrap_or_default();
                    let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
                    let args = call.get("input").cloned().unwrap_or_else(|| json!({}));
                    let (content, is_error) = run_one_tool(name, args, run_tool, &mut redactor, self.redact);
                    json!({"type": "tool_result", "tool_use_id": id, "content": content, "is_error": is_error})
                })
                .collect();
            messages.push(json!({"role": "user", "content": results}));
        }
        Err(ProviderError::Invalid("no draft after the tool rounds".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::prompt::tests::{catalog, input, messages, profile, stages};
    use std::time::Instant;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    fn provider(server: &MockServer) -> AnthropicProvider {
        AnthropicProvider::new(
            reqwest::Client::new(),
            Some(&server.uri()),
            "claude-test",
            SecretString::from("sk-ant-test"),
            Duration::from_secs(5),
            true,
        )
        .with_backoff(Duration::from_millis(10))
    }

    fn tool_use_answer(input: Value) -> Value {
        json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "tool_use", "id": "toolu_01", "name": RECORD_TOOL, "input": input}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 100, "output_tokens": 50}
        })
    }

    fn text_answer(text: &str) -> Value {
        json!({
            "id": "msg_02", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 100, "output_tokens": 20}
        })
    }

    fn extraction() -> Value {
        json!({
            "stage": {"value": "negotiating", "evidence": ["wamid.3", "wamid.77"]},
            "intent": {"value": "price", "evidence": ["wamid.3"]},
            "interests": [{"make": "Toyota", "model": "Corolla", "year": 2022, "evidence": ["wamid.1"]}],
            "budget": {"amount": "25000", "currency": "USD", "period": "total", "evidence": ["wamid.3"]},
            "financing": {"value": false, "evidence": []}, "trade_in": null,
            "urgency": null, "sentiment": "neutral",
            "name": {"value": "Mariana", "evidence": ["wamid.3"]},
            "email": {"value": "[EMAIL_1]", "evidence": ["wamid.3"]},
            "language": "es", "objections": [], "open_questions": [{"value": "Colors?", "evidence": ["wamid.9"]}],
            "summary": null, "next_best_action": null
        })
    }

    fn body_of(req: &Request) -> Value {
        serde_json::from_slice(&req.body).unwrap()
    }

    #[tokio::test]
    async fn extract_uses_forced_tool_and_reads_input() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .and(header("x-api-key", "sk-ant-test"))
            .and(header("anthropic-version", "2023-06-01"))
            .and(header("content-type", "application/json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(tool_use_answer(extraction())))
            .expect(1)
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let ext = provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.unwrap();
        assert_eq!(ext.stage.unwrap().evidence, vec!["wamid.3"], "wamid.77 dropped");
        assert_eq!(ext.open_questions[0].evidence, Vec::<String>::new(), "wamid.9 dropped");
        assert_eq!(ext.email.unwrap().value, "mariana@example.com");
        assert!(!ext.financing.unwrap().value);

        let reqs = server.received_requests().await.unwrap();
        let body = body_of(&reqs[0]);
        assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "record_profile"}));
        assert_eq!(body["tools"][0]["name"], "record_profile");
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
        assert!(body["system"].as_str().unwrap().contains("car dealership"));
        assert!(body["max_tokens"].as_u64().unwrap() > 0);
        let raw = String::from_utf8_lossy(&reqs[0].body);
        assert!(!raw.contains("mariana@example.com") && !raw.contains("1234 5678"));
        assert!(raw.contains("[EMAIL_1]") && raw.contains("[PHONE_1]"));
    }

    #[tokio::test]
    async fn retries_overloaded_529_then_succeeds() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(529).set_body_json(
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(tool_use_answer(extraction())))
            .expect(1)
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        assert!(provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.is_ok());
    }

    #[tokio::test]
    async fn retries_429_with_retry_after() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(tool_use_answer(extraction())))
            .mount(&server)
            .await;
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let started = Instant::now();
        assert!(provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.is_ok());
        assert!(started.elapsed() >= Duration::from_millis(950));
    }

    #[tokio::test]
    async fn status_errors() {
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        for (status, times) in [(500u16, 3u64), (401, 1), (400, 1)] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(status).set_body_string("nope"))
                .expect(times)
                .mount(&server)
                .await;
            let err = provider(&server)
                .extract(&input(&p, &msgs, &st, &cat))
                .await
                .unwrap_err();
            assert!(
                matches!(err, ProviderError::Status { status: s, .. } if s == status),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn invalid_answers_are_invalid() {
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let mut bad_stage = extraction();
        bad_stage["stage"]["value"] = json!("closing");
        let mut bad_money = extraction();
        bad_money["budget"]["currency"] = json!("US dollars");
        // A value outside the contract is dropped with its reason, the rest kept.
        for (bad, why) in [(bad_stage, "unknown stage `closing`"), (bad_money, "budget currency")] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(200).set_body_json(tool_use_answer(bad)))
                .mount(&server)
                .await;
            let ext = provider(&server).extract(&input(&p, &msgs, &st, &cat)).await.unwrap();
            assert_eq!(ext.dropped.len(), 1);
            assert!(ext.dropped[0].starts_with(why), "{:?}", ext.dropped);
        }
        let cases = [
            text_answer("I think she wants a Corolla."),
            tool_use_answer(json!("not an object")),
            json!({"type": "message", "content": [], "stop_reason": "max_tokens"}),
            json!({"type": "message"}),
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
    }

    #[tokio::test]
    async fn draft_loops_on_tool_use() {
        let server = MockServer::start().await;
        let first = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [
                {"type": "text", "text": "Let me check the price."},
                {"type": "tool_use", "id": "toolu_9", "name": "lowest_price", "input": {"model": "Corolla", "contact": "[PHONE_1]"}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1}
        });
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(first))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "msg_2", "type": "message", "role": "assistant", "model": "claude-test",
                "content": [{"type": "text", "text": "¡Hola Mariana! "}, {"type": "text", "text": "El Corolla 2022 está desde 23,900 USD."}],
                "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1}
            })))
            .mount(&server)
            .await;
        let seen = std::sync::Mutex::new(Vec::new());
        let runner = |name: &str, args: Value| -> Result<Value, String> {
            seen.lock().unwrap().push((name.to_owned(), args));
            Ok(json!({"price": "23900", "currency": "USD"}))
        };
        let tools = vec![ToolSpec {
            name: "lowest_price".into(),
            description: "Lowest listed price".into(),
            parameters: json!({"type": "object", "properties": {"model": {"type": "string"}}}),
        }];
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let draft = provider(&server)
            .draft(&input(&p, &msgs, &st, &cat), Some("Offer Saturday"), &tools, &runner)
            .await
            .unwrap();
        assert_eq!(draft, "¡Hola Mariana! El Corolla 2022 está desde 23,900 USD.");
        assert_eq!(
            seen.lock().unwrap()[0].1["contact"],
            "+52 55 1234 5678",
            "placeholder restored for the tool"
        );

        let reqs = server.received_requests().await.unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(body_of(&reqs[0])["tools"][0]["input_schema"]["type"], "object");
        let second = body_of(&reqs[1]);
        let sent = second["messages"].as_array().unwrap();
        assert_eq!(sent[1]["role"], "assistant");
        assert_eq!(sent[1]["content"][1]["id"], "toolu_9");
        assert_eq!(sent[2]["role"], "user");
        assert_eq!(sent[2]["content"][0]["type"], "tool_result");
        assert_eq!(sent[2]["content"][0]["tool_use_id"], "toolu_9");
        assert_eq!(sent[2]["content"][0]["is_error"], false);
        for r in &reqs {
            let raw = String::from_utf8_lossy(&r.body);
            assert!(!raw.contains("mariana@example.com") && !raw.contains("1234 5678"));
        }
    }

    #[tokio::test]
    async fn draft_stops_after_max_rounds() {
        let server = MockServer::start().await;
        let looping = json!({
            "type": "message", "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_x", "name": "search", "input": {}}],
            "stop_reason": "tool_use"
        });
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(looping))
            .expect(MAX_TOOL_ROUNDS as u64 + 1)
            .mount(&server)
            .await;
        let runner = |_: &str, _: Value| -> Result<Value, String> { Err("down".into()) };
        let tools = vec![ToolSpec {
            name: "search".into(),
            description: "Inventory search".into(),
            parameters: json!({"type": "object"}),
        }];
        let (p, msgs, st, cat) = (profile(), messages(), stages(), catalog());
        let err = provider(&server)
            .draft(&input(&p, &msgs, &st, &cat), None, &tools, &runner)
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Invalid(_)), "{err}");
        let reqs = server.received_requests().await.unwrap();
        assert_eq!(body_of(reqs.last().unwrap())["tool_choice"], json!({"type": "none"}));
        assert_eq!(body_of(&reqs[1])["messages"][2]["content"][0]["is_error"], true);
    }
}

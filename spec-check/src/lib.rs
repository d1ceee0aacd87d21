//! # spec-check
//!
//! Test-support crate that checks HTTP traffic against PagerDuty's REST API v2
//! OpenAPI 3.0 document: one exact version of it, pinned in `openapi.lock`
//! (repository, path, commit, SHA-256) and found and verified by the one loader,
//! [`Spec::load_pinned`] (see [`pinned`] for where it looks).
//!
//! Two things must hold for the PagerDuty MCP component and its test doubles:
//!
//! * every **request** the component sends is a valid operation of the spec:
//!   the path matches a path template that has the HTTP method
//!   ([`Spec::check_request`]), the query parameters are ones the operation
//!   declares, with valid values (enums, integers and their bounds, booleans),
//!   required query and header parameters are present, and a JSON body matches
//!   the operation's `requestBody` schema ([`Spec::check_request_body`]);
//! * every **response** the fake PagerDuty sends validates against the
//!   operation's response schema for that status ([`Spec::check_response`]).
//!
//! This way the component can't rely on behaviour that only our fake has, and
//! the fake can't drift away from what the real API returns.
//!
//! ## How schemas are checked
//!
//! OpenAPI 3.0 schemas are a dialect of JSON Schema, so the spec is converted
//! once at load time into JSON Schema 2020-12 documents (one for requests and
//! one for responses):
//!
//! * `nullable: true` allows `null`;
//! * boolean `exclusiveMinimum`/`exclusiveMaximum` become numeric;
//! * OpenAPI-only keywords (`discriminator`, `example`, `xml`, `x-*`, …) are
//!   dropped;
//! * `writeOnly` properties are not required in responses; `readOnly`
//!   properties are allowed in responses (they are just annotations);
//! * every `$ref` points into the converted document, which is registered
//!   with the `jsonschema` crate so references resolve locally (there is never
//!   any network or file access after loading);
//! * `format` is **not** asserted: PagerDuty's own payloads don't always
//!   comply with the formats the spec names.
//!
//! Validators are compiled lazily, per schema location, and cached.
//!
//! ## Deliberate deviations from a literal reading of the spec
//!
//! Each of these keeps the checks strict where it matters while not failing
//! on what PagerDuty really sends (and documents in its own examples):
//!
//! * `oneOf` is checked as `anyOf`: PagerDuty uses `oneOf` for "one of these
//!   shapes" with overlapping branches (e.g. a log entry's `channel`
//!   `{"type": "api"}` fits every branch of `Channel`), which strict JSON
//!   Schema rejects.  A value must still match at least one branch.
//! * A short, reviewed list of spec fixes (`SPEC_FIXES` in
//!   `src/convert.rs`): properties that the spec documents as possibly `null`
//!   (in their description, or in the spec's own examples) but that lack
//!   `nullable: true` are treated as nullable — e.g. `Incident.resolved_at`,
//!   `Oncall.start`/`end`, `ScheduleLayer.end` — and `IncidentBody.details`
//!   (typed `object`) also accepts the string that the spec's own
//!   `createIncident` example sends.
//! * `readOnly` + `required` properties stay required in requests (OpenAPI
//!   3.0 would waive them): PagerDuty marks the `id` and `type` of every
//!   reference object `readOnly`, yet a request must send them.
//!
//! ```no_run
//! let spec = spec_check::Spec::load_pinned()?;
//! let headers = [
//!     ("Accept".to_string(), "application/vnd.pagerduty+json;version=2".to_string()),
//!     ("Content-Type".to_string(), "application/json".to_string()),
//! ];
//! let query = [("statuses[]".to_string(), "triggered".to_string())];
//! spec.check_request("GET", "/incidents", &query, &headers).map_err(|e| anyhow::anyhow!("{e:?}"))?;
//! spec.check_response("GET", "/incidents", 200, &serde_json::json!({"incidents": []}))
//!     .map_err(|e| anyhow::anyhow!("{e:?}"))?;
//! # Ok::<(), anyhow::Error>(())
//! ```

#![warn(missing_docs)]

mod convert;
pub mod pinned;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use jsonschema::{Draft, Registry, ValidationError, Validator, error::ValidationErrorKind};
use serde_json::Value;

use crate::convert::{Converter, Direction, converted_pointer, deref, deref_with_pointer};

pub use crate::pinned::{
    OPENAPI_PATH_ENV, PinnedDocument, openapi_path, pinned_document, pinned_openapi_json,
    read_pinned_openapi,
};

/// At most this many schema-validation errors are reported per payload.
const MAX_SCHEMA_ERRORS: usize = 20;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// PagerDuty's OpenAPI document, loaded and prepared for checking requests and
/// responses.
///
/// `Spec` is `Send + Sync`; load it once (e.g. in a `static OnceLock`) and
/// share it between tests — compiled validators are cached inside.
pub struct Spec {
    /// The spec as published, with `convert::SPEC_FIXES` applied.
    raw: Value,
    /// Path templates, in document order.
    templates: Vec<PathTemplate>,
    /// Converted (JSON Schema) documents, same shape as `raw`.
    request_doc: Arc<Value>,
    response_doc: Arc<Value>,
    /// Registry holding both converted documents.
    registry: Registry<'static>,
    /// Compiled validators by (direction, JSON pointer of the schema).
    validators: Mutex<ValidatorCache>,
}

/// Compiled validators (or compile errors) by direction and schema pointer.
type ValidatorCache = HashMap<(Direction, String), Result<Arc<Validator>, String>>;

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("paths", &self.templates.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct PathTemplate {
    /// The template as written in the spec, e.g. `/incidents/{id}`.
    template: String,
    segments: Vec<Segment>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A request resolved to one operation of the spec.
struct Operation<'a> {
    method: String,
    template: &'a str,
    op: &'a Value,
    /// JSON pointer of the operation object in the spec.
    pointer: String,
    path_params: Vec<(String, String)>,
}

impl Operation<'_> {
    fn label(&self) -> String {
        format!(
            "{} {} ({})",
            self.method.to_uppercase(),
            self.template,
            self.op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or("no operationId")
        )
    }
}

/// A parameter of an operation, after resolving `$ref`s.
struct Param<'a> {
    name: &'a str,
    location: &'a str,
    required: bool,
    explode: Option<bool>,
    schema: Option<&'a Value>,
}

impl Spec {
    /// Loads the pinned document (`openapi.lock`) from the first place that has it
    /// (`$PAGERDUTY_OPENAPI`, `shared/` beside the checkout, the download in
    /// `target/openapi/`), after checking its SHA-256. The error says how to get the
    /// document when no place has it.
    pub fn load_pinned() -> anyhow::Result<Spec> {
        let (path, bytes) = read_pinned_openapi()?;
        let raw: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("parsing OpenAPI spec {}", path.display()))?;
        Self::from_value(raw).with_context(|| format!("preparing OpenAPI spec {}", path.display()))
    }

    fn from_value(mut raw: Value) -> anyhow::Result<Spec> {
        let version = raw.get("openapi").and_then(Value::as_str).unwrap_or("");
        anyhow::ensure!(
            version.starts_with("3.0"),
            "expected an OpenAPI 3.0 document, found openapi: {version:?}"
        );
        let paths = raw
            .get("paths")
            .and_then(Value::as_object)
            .context("spec has no `paths` object")?;
        let templates = paths
            .iter()
            .filter(|(_, item)| {
                // Path items without operations (the spec has one that only
                // carries a description) are not endpoints.
                item.as_object()
                    .is_some_and(|item| item.keys().any(|k| METHODS.contains(&k.as_str())))
            })
            .map(|(template, _)| PathTemplate {
                template: template.clone(),
                segments: split_path(template)
                    .map(
                        |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Param(name.to_owned()),
                            None => Segment::Literal(seg.to_owned()),
                        },
                    )
                    .collect(),
            })
            .collect();

        // Pointers missing from another version of the spec are simply not
        // overridden.
        let _ = convert::apply_spec_fixes(&mut raw);
        let request_doc = Arc::new(Converter::new(&raw, Direction::Request).document());
        let response_doc = Arc::new(Converter::new(&raw, Direction::Response).document());
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(Direction::Request.doc_uri(), Arc::clone(&request_doc))?
            .add(Direction::Response.doc_uri(), Arc::clone(&response_doc))?
            .prepare()
            .context("registering converted schemas")?;

        Ok(Spec {
            raw,
            templates,
            request_doc,
            response_doc,
            registry,
            validators: Mutex::new(HashMap::new()),
        })
    }

    /// Checks a request line and its parameters against the spec.
    ///
    /// * `method` — HTTP method, any case.
    /// * `path` — the concrete path, e.g. `/incidents/PABC123/notes`, without
    ///   the query string (anything after a `?` is ignored).
    /// * `query` — percent-decoded query pairs, in order; repeated names
    ///   allowed.  Names are matched literally, e.g. `statuses[]` (not
    ///   `statuses%5B%5D`).  Form-style arrays declared `explode: false` take
    ///   comma-separated values.
    /// * `headers` — request headers; names are case-insensitive.
    ///
    /// Checks that the path matches a template (a literal template wins over a
    /// templated one, e.g. `/users/me` over `/users/{id}`) which has the
    /// method; that every query parameter is declared by the operation and its
    /// values are valid (enum members — each item for array parameters —,
    /// integers within `minimum`/`maximum`, numbers, `true`/`false`
    /// booleans); that non-array parameters are not repeated; that required
    /// query and header parameters are present, and header values are in the
    /// schema's enum if it has one; and that path parameter values are valid.
    /// `Authorization` is a security scheme, not a parameter, and is not
    /// checked; undeclared headers are allowed.
    ///
    /// Returns every problem found.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
    ) -> Result<(), Vec<String>> {
        let op = self.resolve(method, path).map_err(|e| vec![e])?;
        let label = op.label();
        let params = self.parameters(&op);
        let mut problems = Vec::new();

        // Path parameters.
        for (name, value) in &op.path_params {
            if let Some(p) = params
                .iter()
                .find(|p| p.location == "path" && p.name == name)
            {
                check_value(&self.raw, p, value, &mut |msg| {
                    problems.push(format!("{label}: path parameter `{name}`: {msg}"))
                });
            }
        }

        // Query parameters.
        let declared: Vec<&Param> = params.iter().filter(|p| p.location == "query").collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (name, value) in query {
            *counts.entry(name.as_str()).or_default() += 1;
            match declared.iter().find(|p| p.name == name) {
                Some(p) => check_value(&self.raw, p, value, &mut |msg| {
                    problems.push(format!(
                        "{label}: query parameter `{name}`={value:?}: {msg}"
                    ))
                }),
                None if counts[name.as_str()] > 1 => {} // reported already
                None => {
                    let mut known: Vec<&str> = declared.iter().map(|p| p.name).collect();
                    known.sort_unstable();
                    let hint = if name.contains('%') {
                        " (query names must be percent-decoded, e.g. `statuses[]`)"
                    } else {
                        ""
                    };
                    problems.push(format!(
                        "{label}: unknown query parameter `{name}`{hint} (declared: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
            }
        }
        for p in &declared {
            let count = counts.get(p.name).copied().unwrap_or(0);
            if count == 0 && p.required {
                problems.push(format!(
                    "{label}: missing required query parameter `{}`",
                    p.name
                ));
            }
            if count > 1 && !is_multi_valued(&self.raw, p) {
                problems.push(format!(
                    "{label}: query parameter `{}` given {count} times but it is not an array",
                    p.name
                ));
            }
        }

        // Header parameters.
        for p in params.iter().filter(|p| p.location == "header") {
            if p.name.eq_ignore_ascii_case("authorization") {
                continue;
            }
            let values: Vec<&str> = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(p.name))
                .map(|(_, v)| v.as_str())
                .collect();
            if values.is_empty() {
                if p.required {
                    problems.push(format!("{label}: missing required header `{}`", p.name));
                }
                continue;
            }
            for value in values {
                check_header_value(&self.raw, p, value, &mut |msg| {
                    problems.push(format!("{label}: header `{}`={value:?}: {msg}", p.name))
                });
            }
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Checks a JSON request body against the operation's `requestBody`
    /// schema (`application/json`).
    ///
    /// Pass `Value::Null` for a request without a body.
    ///
    /// `Ok` when the operation documents no request body.  A missing (`null`)
    /// body is reported unless the spec explicitly marks the request body
    /// `required: false` (PagerDuty omits `required` on nearly every body,
    /// `POST /incidents` included).  Any body is reported when the operation
    /// takes a body but not as JSON.
    /// Properties the spec marks `readOnly` and `required` are required here
    /// too (see the crate docs).
    pub fn check_request_body(
        &self,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Result<(), Vec<String>> {
        let op = self.resolve(method, path).map_err(|e| vec![e])?;
        let label = op.label();
        let Some(request_body) = op.op.get("requestBody") else {
            return Ok(());
        };
        let (request_body, pointer) = deref_with_pointer(
            &self.raw,
            request_body,
            format!("{}/requestBody", op.pointer),
        );
        if body.is_null() {
            // PagerDuty leaves `required` out on almost every request body
            // (even `POST /incidents`), so only an explicit `required: false`
            // makes the body optional.
            return if request_body.get("required") == Some(&Value::Bool(false)) {
                Ok(())
            } else {
                Err(vec![format!("{label}: request body is required")])
            };
        }
        let Some((media_type, media)) = json_media(request_body) else {
            return Err(vec![format!(
                "{label}: operation does not take an application/json request body"
            )]);
        };
        if media.get("schema").is_none() {
            return Ok(());
        }
        let schema_pointer = format!("{pointer}/content/{}/schema", escape_pointer(media_type));
        self.validate(Direction::Request, &schema_pointer, body)
            .map_err(|errs| prefix_all(errs, &format!("{label}: request body")))
    }

    /// Validates a response body against the operation's response schema for
    /// `status`.
    ///
    /// The response is looked up by exact status, then the `2XX`-style
    /// wildcard, then `default`.  An undocumented 2xx status is an error; an
    /// undocumented status outside 2xx is tolerated (`Ok`).  A documented
    /// response with no JSON content (e.g. `204`) only accepts a `null` body.
    /// `writeOnly` properties are not required in responses; `readOnly` ones
    /// are of course allowed.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<String>> {
        let op = self.resolve(method, path).map_err(|e| vec![e])?;
        let label = op.label();
        let responses = op.op.get("responses").and_then(Value::as_object);
        let exact = status.to_string();
        let wildcard = format!("{}XX", status / 100);
        let found = [exact.as_str(), wildcard.as_str(), "default"]
            .into_iter()
            .find_map(|key| {
                responses?
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(k, v)| (k.clone(), v))
            });
        let Some((key, response)) = found else {
            if (200..300).contains(&status) {
                let mut documented: Vec<&str> = responses
                    .map(|r| r.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                documented.sort_unstable();
                return Err(vec![format!(
                    "{label}: status {status} is not documented (documented: {})",
                    documented.join(", ")
                )]);
            }
            return Ok(());
        };
        let (response, pointer) = deref_with_pointer(
            &self.raw,
            response,
            format!("{}/responses/{}", op.pointer, escape_pointer(&key)),
        );
        let label = format!("{label}: response {status} (documented as {key:?})");
        let Some((media_type, media)) = json_media(response) else {
            return if body.is_null() {
                Ok(())
            } else {
                Err(vec![format!(
                    "{label}: no JSON body is documented, but got one"
                )])
            };
        };
        if media.get("schema").is_none() {
            return Ok(());
        }
        let schema_pointer = format!("{pointer}/content/{}/schema", escape_pointer(media_type));
        self.validate(Direction::Response, &schema_pointer, body)
            .map_err(|errs| prefix_all(errs, &label))
    }

    /// The `operationId` of the operation that `method` + `path` resolve to
    /// (e.g. `listIncidents`), or `None` if there is none.
    pub fn operation_id(&self, method: &str, path: &str) -> Option<String> {
        let op = self.resolve(method, path).ok()?;
        op.op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// Finds the operation for a concrete request path.
    fn resolve(&self, method: &str, path: &str) -> Result<Operation<'_>, String> {
        let method_lc = method.to_ascii_lowercase();
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let upper = method.to_ascii_uppercase();
        if !path.starts_with('/') {
            return Err(format!("{upper} {path}: path must start with `/`"));
        }
        let segments: Vec<&str> = split_path(path).collect();

        let best = self
            .templates
            .iter()
            .filter(|t| matches(t, &segments))
            // Most specific first: compare segment by segment, a literal beats
            // a parameter at the first position where they differ.
            .max_by(|a, b| specificity(a).cmp(&specificity(b)));
        let Some(template) = best else {
            return Err(format!(
                "{upper} {path}: no path template of the spec matches"
            ));
        };
        let item = &self.raw["paths"][&template.template];
        let Some(op) = item
            .get(&method_lc)
            .filter(|_| METHODS.contains(&method_lc.as_str()))
        else {
            let mut allowed: Vec<String> = item
                .as_object()
                .map(|o| {
                    o.keys()
                        .filter(|k| METHODS.contains(&k.as_str()))
                        .map(|k| k.to_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            allowed.sort();
            return Err(format!(
                "{upper} {path}: path template {} has no {upper} operation (allowed: {})",
                template.template,
                allowed.join(", ")
            ));
        };
        let path_params = template
            .segments
            .iter()
            .zip(&segments)
            .filter_map(|(t, s)| match t {
                Segment::Param(name) => Some((name.clone(), (*s).to_owned())),
                Segment::Literal(_) => None,
            })
            .collect();
        Ok(Operation {
            method: method_lc.clone(),
            template: &template.template,
            op,
            pointer: format!("/paths/{}/{method_lc}", escape_pointer(&template.template)),
            path_params,
        })
    }

    /// Parameters of an operation: path-item level ones, overridden by
    /// operation level ones with the same name and location.
    fn parameters<'a>(&'a self, op: &Operation<'a>) -> Vec<Param<'a>> {
        let item = &self.raw["paths"][op.template];
        let mut params: Vec<Param<'a>> = Vec::new();
        let lists = [item.get("parameters"), op.op.get("parameters")];
        for list in lists.into_iter().flatten().filter_map(Value::as_array) {
            for p in list {
                let p = deref(&self.raw, p);
                let (Some(name), Some(location)) = (
                    p.get("name").and_then(Value::as_str),
                    p.get("in").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let param = Param {
                    name,
                    location,
                    required: p.get("required") == Some(&Value::Bool(true)),
                    explode: p.get("explode").and_then(Value::as_bool),
                    schema: p.get("schema").map(|s| deref(&self.raw, s)),
                };
                let same = |q: &Param| {
                    q.location == location
                        && if location == "header" {
                            q.name.eq_ignore_ascii_case(name)
                        } else {
                            q.name == name
                        }
                };
                match params.iter_mut().find(|q| same(q)) {
                    Some(existing) => *existing = param,
                    None => params.push(param),
                }
            }
        }
        params
    }

    /// Validates `instance` against the converted schema at `pointer`.
    fn validate(
        &self,
        direction: Direction,
        pointer: &str,
        instance: &Value,
    ) -> Result<(), Vec<String>> {
        let validator = self.validator(direction, pointer).map_err(|e| vec![e])?;
        let mut problems = Vec::new();
        for error in validator.iter_errors(instance) {
            if problems.len() >= MAX_SCHEMA_ERRORS {
                problems.push(format!(
                    "… (only the first {MAX_SCHEMA_ERRORS} errors are shown)"
                ));
                break;
            }
            problems.push(describe(&error, 0));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Compiled validator for the schema at `pointer` (cached).
    fn validator(&self, direction: Direction, pointer: &str) -> Result<Arc<Validator>, String> {
        let key = (direction, pointer.to_owned());
        if let Some(cached) = self
            .validators
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return cached.clone();
        }
        let doc = match direction {
            Direction::Request => &self.request_doc,
            Direction::Response => &self.response_doc,
        };
        let compiled = match doc.pointer(&converted_pointer(pointer)) {
            None => Err(format!("spec-check bug: no converted schema at {pointer}")),
            Some(schema) => jsonschema::options()
                .with_draft(Draft::Draft202012)
                .should_validate_formats(false)
                .with_registry(&self.registry)
                .build(schema)
                .map(Arc::new)
                .map_err(|e| format!("cannot compile schema at {pointer}: {e}")),
        };
        self.validators
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, compiled.clone());
        compiled
    }
}

fn split_path(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

fn matches(template: &PathTemplate, segments: &[&str]) -> bool {
    template.segments.len() == segments.len()
        && template
            .segments
            .iter()
            .zip(segments)
            .all(|(t, s)| match t {
                Segment::Literal(lit) => lit == s,
                Segment::Param(_) => !s.is_empty(),
            })
}

/// Sort key: literal segments (earlier ones weigh more) beat parameters.
fn specificity(template: &PathTemplate) -> Vec<bool> {
    template
        .segments
        .iter()
        .map(|s| matches!(s, Segment::Literal(_)))
        .collect()
}

/// Escapes a JSON pointer token.
fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The `application/json` (or `*+json`) media type entry of a response or
/// request body object.
fn json_media(object: &Value) -> Option<(&str, &Value)> {
    let content = object.get("content")?.as_object()?;
    content
        .iter()
        .find(|(mt, _)| mt.as_str() == "application/json")
        .or_else(|| {
            content.iter().find(|(mt, _)| {
                let base = mt.split(';').next().unwrap_or("").trim();
                base.eq_ignore_ascii_case("application/json") || base.ends_with("+json")
            })
        })
        .map(|(mt, media)| (mt.as_str(), media))
}

fn prefix_all(errors: Vec<String>, prefix: &str) -> Vec<String> {
    errors
        .into_iter()
        .map(|e| format!("{prefix}: {e}"))
        .collect()
}

/// Whether a query parameter may legitimately appear more than once.
fn is_multi_valued(root: &Value, p: &Param) -> bool {
    p.name.ends_with("[]")
        || p.schema
            .map(|s| deref(root, s))
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            == Some("array")
}

/// Checks one value of a path or query parameter against its schema.
fn check_value(root: &Value, p: &Param, value: &str, report: &mut dyn FnMut(String)) {
    let Some(schema) = p.schema else { return };
    let schema = deref(root, schema);
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        let items = schema.get("items").map(|i| deref(root, i));
        // Form style with explode=false: comma separated; otherwise one item
        // per occurrence.
        let values: Vec<&str> = if p.explode == Some(false) {
            value.split(',').collect()
        } else {
            vec![value]
        };
        if let Some(items) = items {
            for v in values {
                check_scalar(items, v, report);
            }
        }
    } else {
        check_scalar(schema, value, report);
    }
}

/// Checks a header value: only an `enum`, if any, constrains it.
/// `Content-Type` is compared on the media type, ignoring parameters.
fn check_header_value(root: &Value, p: &Param, value: &str, report: &mut dyn FnMut(String)) {
    let Some(schema) = p.schema.map(|s| deref(root, s)) else {
        return;
    };
    let Some(options) = schema.get("enum").and_then(Value::as_array) else {
        return;
    };
    let value = value.trim();
    let ok = options.iter().filter_map(Value::as_str).any(|o| {
        o == value
            || (p.name.eq_ignore_ascii_case("content-type")
                && o.eq_ignore_ascii_case(value.split(';').next().unwrap_or("").trim()))
    });
    if !ok {
        report(format!("not one of {}", Value::Array(options.clone())));
    }
}

/// Checks one scalar string value (from a path or query) against a schema.
fn check_scalar(schema: &Value, value: &str, report: &mut dyn FnMut(String)) {
    let ty = schema.get("type").and_then(Value::as_str);
    match ty {
        Some("integer") => match value.parse::<i64>() {
            Ok(n) => check_bounds(schema, n as f64, report),
            Err(_) => report("not an integer".into()),
        },
        Some("number") => match value.parse::<f64>() {
            Ok(n) if n.is_finite() => check_bounds(schema, n, report),
            _ => report("not a number".into()),
        },
        Some("boolean") if value != "true" && value != "false" => {
            report("not a boolean (`true` or `false`)".into());
        }
        _ => {}
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let ok = options.iter().any(|o| match o {
            Value::String(s) => s == value,
            Value::Number(n) => value.parse::<f64>().ok() == n.as_f64(),
            Value::Bool(b) => value == if *b { "true" } else { "false" },
            _ => false,
        });
        if !ok {
            report(format!("not one of {}", Value::Array(options.clone())));
        }
    }
}

fn check_bounds(schema: &Value, n: f64, report: &mut dyn FnMut(String)) {
    let exclusive = |k: &str| schema.get(k) == Some(&Value::Bool(true));
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        if exclusive("exclusiveMinimum") && n <= min {
            report(format!("must be greater than {min}"));
        } else if n < min {
            report(format!("must be at least {min}"));
        }
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        if exclusive("exclusiveMaximum") && n >= max {
            report(format!("must be less than {max}"));
        } else if n > max {
            report(format!("must be at most {max}"));
        }
    }
}

/// Renders a validation error, including why each `anyOf`/`oneOf` branch
/// failed (one level deep).
fn describe(error: &ValidationError<'_>, depth: usize) -> String {
    let at = error.instance_path().as_str();
    let at = if at.is_empty() { "/" } else { at };
    let mut message = error.to_string();
    if message.chars().count() > 300 {
        message = error.masked().to_string();
    }
    if message.chars().count() > 300 {
        message = message.chars().take(300).collect::<String>() + "…";
    }
    let mut out = format!(
        "at {at}: {message} (schema {})",
        error.schema_path().as_str()
    );
    let context = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            Some(context)
        }
        _ => None,
    };
    if let Some(context) = context.filter(|_| depth < 2) {
        for (i, branch) in context.iter().enumerate() {
            let reasons: Vec<String> = branch
                .iter()
                .take(3)
                .map(|e| describe(e, depth + 1))
                .collect();
            out.push_str(&format!(
                "\n{}branch {i}: {}",
                "  ".repeat(depth + 1),
                reasons.join("; ")
            ));
        }
    }
    out
}

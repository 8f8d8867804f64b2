//! The generated Clerk client, catalog and JSON entry point, against the fake Clerk on 127.0.0.1.

mod support;

use clerk_mcp::clerk::{ApiError, ClerkApi, ClientConfig, RetryPolicy, SecretKey, catalog};
use clerk_mcp::codegen;
use serde_json::{Value, json};
use support::fake_clerk::{FakeClerk, Fault, GOOD_KEY};

fn api(fake: &FakeClerk, attempts: u32) -> ClerkApi {
    let cfg = ClientConfig {
        base_url: fake.url.clone(),
        retry: RetryPolicy {
            max_attempts: attempts,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    ClerkApi::new(&cfg).unwrap()
}

/// A deadline far enough away that only tests of the deadline meet it.
fn soon() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(60)
}

fn key() -> SecretKey {
    SecretKey::parse(GOOD_KEY).unwrap()
}

#[tokio::test]
async fn request_line_and_headers() {
    let fake = FakeClerk::start().await;
    let out = api(&fake, 1)
        .call(
            &key(),
            "GetUserList",
            json!({"user_id": ["user_a", "user_b"], "limit": 5, "query": "ann lee"}),
            soon(),
        )
        .await;
    assert_eq!(out.result.unwrap().body, json!([]));
    let seen = fake.last_request();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/v1/users");
    let pairs = seen.query_pairs();
    let user_ids: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "user_id")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        user_ids,
        ["user_a", "user_b"],
        "array query parameters are repeated keys: {}",
        seen.query
    );
    assert!(pairs.contains(&("limit".into(), "5".into())));
    assert!(pairs.contains(&("query".into(), "ann lee".into())));
    assert_eq!(
        seen.header("authorization").unwrap(),
        format!("Bearer {GOOD_KEY}")
    );
    assert_eq!(
        seen.header("clerk-api-version").as_deref(),
        Some(clerk_mcp::clerk::API_VERSION.trim()),
        "the header carries the vendored revision's version"
    );
    assert_eq!(
        seen.header("api-version"),
        None,
        "progenitor's header must be renamed"
    );
    assert_eq!(
        seen.header("user-agent").unwrap(),
        format!("clerk-mcp/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn success_body_with_unknown_fields_is_returned_unchanged() {
    let fake = FakeClerk::start().await;
    let body = json!({
        "id": "user_2abc", "object": "user", "brand_new_field": {"nested": [1, 2, {"x": null}]},
        "email_addresses": [{"id": "idn_1", "verification": {"status": "a_status_from_the_future", "strategy": "oauth_custom_acme"}}],
        "public_metadata": {"n": 1.5e300, "s": "ü"}
    });
    fake.push_fault(Fault::new(200, body.to_string()).header("content-type", "application/json"));
    let out = api(&fake, 1)
        .call(&key(), "GetUser", json!({"user_id": "user_2abc"}), soon())
        .await;
    let resp = out.result.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, body);
}

fn clerk_err(
    out: Result<clerk_mcp::clerk::ApiResponse, ApiError>,
) -> (
    u16,
    Vec<clerk_mcp::clerk::error::ClerkErrorItem>,
    Option<String>,
    Option<u64>,
) {
    match out {
        Err(ApiError::Clerk {
            status,
            errors,
            clerk_trace_id,
            retry_after,
        }) => (status, errors, clerk_trace_id, retry_after),
        other => panic!("expected a Clerk error, got {other:?}"),
    }
}

#[tokio::test]
async fn error_statuses_parse_into_clerk_errors() {
    let fake = FakeClerk::start().await;
    let api = api(&fake, 1);
    // 404 from the fake's own routing.
    let (status, errors, trace, _) = clerk_err(
        api.call(
            &key(),
            "GetUser",
            json!({"user_id": "user_missing"}),
            soon(),
        )
        .await
        .result,
    );
    assert_eq!(status, 404);
    assert_eq!(errors[0].code, "resource_not_found");
    assert_eq!(errors[0].long_message, "Resource not found");
    assert!(trace.unwrap().starts_with("trace_"));

    // 422 with meta.
    let (status, errors, _, _) = clerk_err(
        api.call(
            &key(),
            "CreateOrganization",
            json!({"body": {"name": ""}}),
            soon(),
        )
        .await
        .result,
    );
    assert_eq!(status, 422);
    assert_eq!(errors[0].code, "form_param_missing");
    assert_eq!(errors[0].meta.get("param_name"), Some(&json!("name")));

    // 429, undocumented for this operation, with Retry-After.
    fake.push_fault(
        Fault::new(429, r#"{"errors":[{"message":"Too many requests","long_message":"Too many requests, retry later","code":"too_many_requests"}],"clerk_trace_id":"t429"}"#)
            .header("retry-after", "7"),
    );
    let (status, errors, trace, retry_after) = clerk_err(
        api.call(&key(), "GetUser", json!({"user_id": "u"}), soon())
            .await
            .result,
    );
    assert_eq!(
        (
            status,
            errors[0].code.as_str(),
            trace.as_deref(),
            retry_after
        ),
        (429, "too_many_requests", Some("t429"), Some(7))
    );
    let as_json = ApiError::Clerk {
        status,
        errors,
        clerk_trace_id: trace,
        retry_after,
    }
    .to_json();
    for k in [
        "status",
        "code",
        "message",
        "long_message",
        "clerk_trace_id",
        "retry_after",
    ] {
        assert!(as_json.get(k).is_some(), "{k} missing from {as_json}");
    }

    // 401 for a key the fake refuses.
    let other = SecretKey::parse("sk_test_notaccepted").unwrap();
    let (status, errors, _, _) = clerk_err(
        api.call(&other, "GetUsersCount", json!({}), soon())
            .await
            .result,
    );
    assert_eq!(
        (status, errors[0].code.as_str()),
        (401, "clerk_key_invalid")
    );
}

#[tokio::test]
async fn html_502_is_a_clear_error_with_its_status() {
    let fake = FakeClerk::start().await;
    fake.push_fault(
        Fault::new(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
            .header("content-type", "text/html"),
    );
    let err = api(&fake, 1)
        .call(&key(), "GetUser", json!({"user_id": "user_x"}), soon())
        .await
        .result
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    let msg = err.to_string();
    assert!(msg.contains("502") && msg.contains("Bad Gateway"), "{msg}");
}

#[tokio::test]
async fn misspelled_fields_are_refused_before_sending() {
    let fake = FakeClerk::start().await;
    let api = api(&fake, 1);
    let err = api
        .call(
            &key(),
            "UpdateUser",
            json!({"user_id": "user_1", "body": {"frist_name": "Ann"}}),
            soon(),
        )
        .await
        .result
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ApiError::InvalidArguments { .. }));
    assert!(
        msg.contains("body") && msg.contains("frist_name") && msg.contains("first_name"),
        "{msg}"
    );

    let err = api
        .call(&key(), "GetUser", json!({"userid": "user_1"}), soon())
        .await
        .result
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("userid") && msg.contains("user_id"), "{msg}");

    let err = api
        .call(&key(), "GetUserList", json!({"limit": "ten"}), soon())
        .await
        .result
        .unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    assert!(
        fake.requests().is_empty(),
        "nothing may be sent for invalid arguments"
    );
}

#[tokio::test]
async fn path_parameters_accept_only_what_clerk_ids_and_slugs_contain() {
    let fake = FakeClerk::start().await;
    let api = api(&fake, 1);
    // Ids, slugs and keys go out exactly as given.
    for (id, want) in [
        ("user_2abcXYZ09", "/v1/users/user_2abcXYZ09"),
        ("acme-inc", "/v1/users/acme-inc"),
        ("org:admin.v2", "/v1/users/org:admin.v2"),
    ] {
        fake.clear_requests();
        let out = api
            .call(&key(), "GetUser", json!({"user_id": id}), soon())
            .await;
        assert_eq!(out.result.unwrap_err().status(), Some(404));
        assert_eq!(fake.last_request().path, want, "user_id {id:?}");
    }
    fake.clear_requests();
    // Anything a router might decode into another path (or that is no id at all) never leaves.
    for id in [
        "",
        ".",
        "..",
        "a\\..\\b",
        "a/b",
        "../organizations/org_1",
        "x?y=1",
        "x#frag",
        "100%",
        "a b",
        "a;b",
        "..%2F..",
        "ünï",
    ] {
        let err = api
            .call(&key(), "GetUser", json!({"user_id": id}), soon())
            .await
            .result
            .unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidArguments { .. }),
            "{id:?}: {err:?}"
        );
        assert!(err.to_string().contains("user_id"), "{err}");
    }
    let long = "a".repeat(300);
    let err = api
        .call(&key(), "GetUser", json!({"user_id": long}), soon())
        .await
        .result
        .unwrap_err();
    assert!(err.to_string().contains("longer"), "{err}");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[tokio::test]
async fn unreachable_upstream_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let cfg = ClientConfig {
        base_url: format!("http://{addr}/v1"),
        retry: RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let err = ClerkApi::new(&cfg)
        .unwrap()
        .call(&key(), "GetUser", json!({"user_id": "u"}), soon())
        .await
        .result
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unreachable { timeout: false, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("connection"), "{err}");
}

#[test]
fn catalog_covers_every_operation_but_the_excluded_ones() {
    let pin = codegen::pin::Pin::parse(include_str!("../openapi/PIN")).unwrap();
    let text = std::fs::read_to_string(format!(
        "{}/openapi/{}",
        env!("CARGO_MANIFEST_DIR"),
        pin.file
    ))
    .unwrap();
    let raw = codegen::parse_spec(&text).unwrap();
    let mut all = Vec::new();
    codegen::for_each_op(&raw, |_, _, op| all.push(codegen::op_id(op).to_string()));
    // Counts follow the vendored revision (249 operations in the 2026-08-14 one, 216 in 2026-05-28).
    assert!(all.len() > 200, "{}", all.len());
    let excluded: Vec<&str> = codegen::patches::excluded_operations()
        .iter()
        .map(|(o, _)| *o)
        .collect();
    let ids: Vec<&str> = catalog::all()
        .iter()
        .map(|o| o.operation_id.as_str())
        .collect();
    let excluded_here = all
        .iter()
        .filter(|id| excluded.contains(&id.as_str()))
        .count();
    assert_eq!(ids.len(), all.len() - excluded_here);
    for id in &all {
        assert_eq!(
            ids.contains(&id.as_str()),
            !excluded.contains(&id.as_str()),
            "{id}"
        );
    }
    for op in catalog::all() {
        assert!(
            clerk_mcp::clerk::dispatch::entry(&op.operation_id).is_some(),
            "{} has no entry point",
            op.operation_id
        );
    }
}

#[test]
fn every_catalog_schema_is_client_safe() {
    let mut checked = 0;
    for op in catalog::all() {
        let v = codegen::schema::client_safety_violations(&op.input_schema);
        assert!(v.is_empty(), "{}: {v:?}", op.operation_id);
        assert_eq!(
            op.input_schema["additionalProperties"],
            json!(false),
            "{}",
            op.operation_id
        );
        checked += 1;
    }
    assert_eq!(checked, catalog::all().len());
    // The rules themselves catch what they should.
    let bad = json!({"type": "object", "properties": {"a b": {"type": "array"}, "n": {"type": "integer", "format": "int64", "nullable": true, "$ref": "#/x"}}, "anyOf": []});
    let v = codegen::schema::client_safety_violations(&bad);
    for needle in [
        "property name `a b`",
        "array without `items`",
        "format `int64`",
        "`nullable`",
        "`$ref`",
        "top-level `anyOf`",
    ] {
        assert!(
            v.iter().any(|x| x.contains(needle)),
            "{needle} not reported in {v:?}"
        );
    }
}

/// Optional properties (at any depth) whose own schema has required fields, as `(path, required)`.
fn optional_objects_with_required_fields(schema: &Value, at: &str, out: &mut Vec<String>) {
    let required: Vec<&str> = codegen::schema::required_names(schema).collect();
    for (name, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = if at.is_empty() {
            name.clone()
        } else {
            format!("{at}.{name}")
        };
        if !required.contains(&name.as_str())
            && codegen::schema::required_names(prop).next().is_some()
        {
            out.push(path.clone());
        }
        optional_objects_with_required_fields(prop, &path, out);
        if let Some(items) = prop.get("items") {
            optional_objects_with_required_fields(items, &format!("{path}[]"), out);
        }
    }
}

/// Issue 11.1: a schema that calls an object optional must mean it. Clerk's spec leaves
/// `requestBody.required` unset on bodies with required fields; a client that trusts the schema
/// and leaves the body out must not be told a field inside it is missing. Every optional object
/// with required fields is checked by leaving it out of the minimal arguments (which contain only
/// what the schema requires) and validating them as a real call would.
#[test]
fn optional_objects_with_required_fields_can_be_left_out() {
    let api = ClerkApi::new(&ClientConfig::default()).unwrap();
    let mut optional = 0;
    for op in catalog::all() {
        let mut found = Vec::new();
        optional_objects_with_required_fields(&op.input_schema, "", &mut found);
        optional += found.len();
        assert!(
            !found.iter().any(|p| p == "body"),
            "{}: `body` has required fields but is optional",
            op.operation_id
        );
        let minimal = clerk_mcp::tools::api::example_arguments(op);
        if let Err(e) = api.prepare(&op.operation_id, minimal.clone()) {
            panic!(
                "{}: the minimal arguments {minimal} (optional {found:?} left out) are refused: {e}",
                op.operation_id
            );
        }
    }
    // Some revisions of the spec have none; the walk itself must still find one where it exists.
    let mut synthetic = Vec::new();
    optional_objects_with_required_fields(
        &json!({"type": "object", "required": ["body"], "properties": {"body": {"type": "object",
            "properties": {"login_hint": {"type": "object", "required": ["kind"],
                "properties": {"kind": {"type": "string"}}}}}}}),
        "",
        &mut synthetic,
    );
    assert_eq!(
        synthetic,
        ["body.login_hint"],
        "the walk finds optional objects ({optional} in this spec)"
    );
    // The curated tools that had it wrong (found by a client following the schema).
    for id in [
        "CreateOrganization",
        "CreateOrganizationInvitation",
        "CreateInvitation",
        "CreateAllowlistIdentifier",
        "CreateBlocklistIdentifier",
    ] {
        let req = &catalog::get(id).unwrap().input_schema["required"];
        assert!(
            req.as_array().unwrap().contains(&json!("body")),
            "{id}: {req}"
        );
    }
}

#[test]
fn schemas_keep_what_the_spec_says() {
    let op = catalog::get("GetUserList").unwrap();
    let limit = &op.input_schema["properties"]["limit"];
    assert_eq!(
        (
            limit["minimum"].clone(),
            limit["maximum"].clone(),
            limit["default"].clone()
        ),
        (json!(1), json!(500), json!(10))
    );
    assert_eq!(
        op.input_schema["properties"]["email_address"]["items"]["type"],
        json!("string")
    );
    let create = catalog::get("CreateUser").unwrap();
    let body = &create.input_schema["properties"]["body"];
    assert!(body["properties"]["first_name"]["description"].is_string());
    assert!(
        create.input_schema["properties"]["body"]["properties"]["public_metadata"]["type"]
            == json!("object")
    );
    let org = catalog::get("UpdateOrganizationMembership").unwrap();
    assert_eq!(
        org.input_schema["required"],
        json!(["organization_id", "user_id", "body"])
    );
}

fn spec_text() -> String {
    let pin = codegen::pin::Pin::parse(include_str!("../openapi/PIN")).unwrap();
    std::fs::read_to_string(format!(
        "{}/openapi/{}",
        env!("CARGO_MANIFEST_DIR"),
        pin.file
    ))
    .unwrap()
}

#[test]
fn spec_diff_reports_synthetic_changes() {
    let old = codegen::parse_spec(&spec_text()).unwrap();
    let mut new = old.clone();
    new["info"]["version"] = json!("2099-01-01");
    // Remove an operation.
    new["paths"]["/users/{user_id}/ban"]
        .as_object_mut()
        .unwrap()
        .remove("post");
    // Add a required query parameter.
    new["paths"]["/users"]["get"]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "tenant", "in": "query", "required": true, "schema": {"type": "string"}}));
    // Change a body field's type (inline body of CreateOrganization).
    let body = new.pointer_mut("/paths/~1organizations/post/requestBody/content/application~1json/schema/properties/max_allowed_memberships").unwrap();
    *body = json!({"type": "string"});
    let report = codegen::diff::diff(
        &old,
        &new,
        &[
            ("clerk_ban_user", "BanUser"),
            ("clerk_list_users", "GetUserList"),
            ("clerk_get_user", "GetUser"),
        ],
    );
    assert_eq!(report.removed, ["BanUser"]);
    assert!(report.added.is_empty());
    let users = &report.changed["GetUserList"];
    assert!(
        users
            .iter()
            .any(|c| c.contains("`tenant` added") && c.contains("required")),
        "{users:?}"
    );
    let org = &report.changed["CreateOrganization"];
    assert!(
        org.iter().any(|c| c.contains("max_allowed_memberships")
            && c.contains("integer")
            && c.contains("string")),
        "{org:?}"
    );
    let tools: Vec<&str> = report
        .affected_tools
        .iter()
        .map(|(t, _, _)| t.as_str())
        .collect();
    assert_eq!(tools, ["clerk_ban_user", "clerk_list_users"]);
    let text = report.render();
    let from = old["info"]["version"].as_str().unwrap();
    assert!(
        text.contains(&format!("{from} → 2099-01-01")) && text.contains("Operations removed (1)"),
        "{text}"
    );

    let same = codegen::diff::diff(&old, &old, &[]);
    assert!(same.is_empty());
}

#[test]
fn patches_fail_loudly_when_the_spec_drifts() {
    let mut doc = codegen::parse_spec(&spec_text()).unwrap();
    doc["paths"]["/users/{user_id}/profile_image"]
        .as_object_mut()
        .unwrap()
        .remove("post");
    let err = codegen::patches::apply_all(&mut doc).unwrap_err();
    assert!(
        err.contains("drop-multipart") && err.contains("SetUserProfileImage"),
        "{err}"
    );
}

#[test]
fn pin_mismatch_says_how_to_fix_it() {
    let pin = codegen::pin::Pin::parse(include_str!("../openapi/PIN")).unwrap();
    assert!(pin.verify(spec_text().as_bytes()).is_ok());
    let err = pin.verify(b"tampered").unwrap_err();
    assert!(
        err.contains("update-spec") && err.contains(&pin.sha256),
        "{err}"
    );
    assert_eq!(codegen::pin::Pin::parse(&pin.render()).unwrap(), pin);
    let _ = Value::Null;
}

//! `deploy/kubernetes`: each overlay renders with `kubectl kustomize`, passes kubernetes-validate's
//! strict schemas (unknown fields rejected, every kind known), and keeps the properties the manifests
//! promise; the same check refuses broken manifests, so it bites.

use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Write;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const OVERLAYS: [&str; 2] = ["hosted", "public"];
/// The oldest release the manifests support (the preStop `sleep` needs 1.30) and the newest that
/// kubernetes-validate (pinned in scripts/test-deps) knows.
const K8S_VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

fn render(overlay: &str) -> String {
    let dir = format!("{ROOT}/deploy/kubernetes/overlays/{overlay}");
    let out = Command::new("kubectl")
        .args(["kustomize", &dir])
        .output()
        .expect("kubectl (its built-in kustomize renders deploy/kubernetes)");
    assert!(
        out.status.success(),
        "kubectl kustomize {dir}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn docs(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).expect("the rendered YAML parses"))
        .filter(|v| !v.is_null())
        .collect()
}

/// `kubernetes-validate --strict` on `yaml` against every version in [`K8S_VERSIONS`]: Ok when
/// every document passed against every version. It exits 0 on a kind it has no schema for (a WARN
/// line), so a WARN, or fewer passes than documents, fails too. Err holds its report. (A file, not
/// stdin: it reads its input once per version.)
fn validate(yaml: &str) -> Result<(), String> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(yaml.as_bytes()).unwrap();
    let bin = format!("{ROOT}/.venv/bin/kubernetes-validate");
    let mut cmd = Command::new(&bin);
    cmd.arg("--strict");
    for v in K8S_VERSIONS {
        cmd.args(["-k", v]);
    }
    let out = cmd
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e} (run scripts/test-deps)"));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = report
        .lines()
        .filter(|l| l.starts_with("INFO") && l.contains(" passed "))
        .count();
    let expected = docs(yaml).len() * K8S_VERSIONS.len();
    if out.status.success() && !report.contains("WARN") && passed == expected {
        Ok(())
    } else {
        Err(format!("{report}({passed} of {expected} passed)"))
    }
}

/// The first `sk_live_…`/`sk_test_…` followed by 20 or more alphanumerics: a real-looking Clerk key.
fn real_looking_key(text: &str) -> Option<&str> {
    ["sk_live_", "sk_test_"].into_iter().find_map(|p| {
        text.match_indices(p).find_map(|(i, _)| {
            let n = text[i + p.len()..]
                .bytes()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            (n >= 20).then_some(&text[i..i + p.len() + n])
        })
    })
}

/// Every `key: value` of `selector` (non-empty) is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

fn env_value<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)?["value"]
        .as_str()
}

/// Every Rust source file under src/, concatenated.
fn sources(dir: &std::path::Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn each_overlay_renders_and_passes_strict_schema_validation() {
    for o in OVERLAYS {
        let yaml = render(o);
        if let Err(report) = validate(&yaml) {
            panic!("overlays/{o} does not validate:\n{report}\n--- rendered:\n{yaml}");
        }
    }
}

#[test]
fn the_validator_refuses_broken_manifests() {
    let good = render("hosted");
    validate(&good).expect("the unmodified manifest passes");
    let widget = "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
    let cases = [
        (
            "spec.replicas",
            good.replacen("replicas: 2", "replicas: \"two\"", 1),
        ),
        (
            "readinesProbe",
            good.replacen("readinessProbe:", "readinesProbe:", 1),
        ),
        ("Widget", format!("{good}{widget}")),
    ];
    for (mark, bad) in cases {
        assert_ne!(bad, good, "the {mark} mutation must change the manifest");
        match validate(&bad) {
            Ok(()) => panic!("kubernetes-validate accepted a broken manifest ({mark}):\n{bad}"),
            Err(report) => assert!(report.contains(mark), "the report names {mark}:\n{report}"),
        }
    }
}

#[test]
fn rendered_manifests_keep_their_promises() {
    let fake = format!("CLERK_SECRET_KEY=sk_live_{}", "x".repeat(24));
    assert!(real_looking_key(&fake).is_some(), "the key scan bites");
    let mut src = String::new();
    sources(&std::path::Path::new(ROOT).join("src"), &mut src);
    for o in OVERLAYS {
        let yaml = render(o);
        if let Some(k) = real_looking_key(&yaml) {
            panic!("{o}: a real-looking Clerk key ({}…)", &k[..12]);
        }
        let docs = docs(&yaml);
        let one = |kind: &str| {
            let all: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
            assert_eq!(all.len(), 1, "{o}: exactly one {kind}");
            all[0]
        };
        let dep = one("Deployment");
        let tpl = &dep["spec"]["template"];
        let (labels, spec) = (&tpl["metadata"]["labels"], &tpl["spec"]);
        let no_token = &spec["automountServiceAccountToken"];
        assert_eq!(no_token, false, "{o}: automountServiceAccountToken");
        let containers: Vec<&Value> = ["initContainers", "containers"]
            .into_iter()
            .flat_map(move |k| spec[k].as_array().into_iter().flatten())
            .collect();
        let want = json!({"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                          "capabilities": {"drop": ["ALL"]}});
        for c in &containers {
            let (sc, name) = (&c["securityContext"], &c["name"]);
            let eff = |k: &str| sc.get(k).unwrap_or(&spec["securityContext"][k]).clone();
            assert_eq!(eff("runAsNonRoot"), true, "{o}: {name} runs as non-root");
            let uid = eff("runAsUser").as_u64();
            assert!(uid.is_some_and(|u| u != 0), "{o}: {name} has UID {uid:?}");
            for (k, v) in want.as_object().unwrap() {
                assert_eq!(&sc[k], v, "{o}: {name} securityContext.{k}");
            }
        }
        let app = containers.iter().find(|c| c["name"] == "clerk-mcp");
        let app = app.expect("the clerk-mcp container");
        let env = app["env"].as_array().expect("env");
        for n in env.iter().filter_map(|e| e["name"].as_str()) {
            let read = src.contains(&format!("\"{n}\""));
            assert!(read, "{o}: env {n} is read nowhere in src/");
        }
        // The Host check refuses a probe that comes with the pod IP as Host.
        let probe = &app["readinessProbe"]["httpGet"];
        assert_eq!(probe["path"], "/api/health", "{o}: readiness probe");
        assert_eq!(probe["httpHeaders"][0]["name"], "Host", "{o}: probe Host");
        let host = probe["httpHeaders"][0]["value"]
            .as_str()
            .unwrap_or_default();
        let allowed = env_value(app, "MCP_ALLOWED_HOSTS").unwrap_or_default();
        let admitted = allowed.split(',').any(|a| a.trim() == host);
        assert!(admitted, "{o}: probe Host {host} not in {allowed}");
        let grace = env_value(app, "MCP_SHUTDOWN_GRACE").unwrap_or("10");
        let grace: u64 = grace.parse().unwrap();
        let pre_stop = app.pointer("/lifecycle/preStop/sleep/seconds");
        let pre_stop = pre_stop.and_then(Value::as_u64).unwrap_or(0);
        let period = spec["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
        let drain = pre_stop + grace;
        assert!(
            period > drain,
            "{o}: grace {period} s <= preStop + drain {drain} s"
        );
        let key = env.iter().find(|e| e["name"] == "CLERK_SECRET_KEY");
        let mode = env_value(app, "CLERK_MCP_MODE");
        if o == "hosted" {
            assert_eq!(mode, Some("hosted"));
            let mut from = app["envFrom"].as_array().into_iter().flatten();
            let secret = from.any(|e| e["secretRef"]["name"].is_string());
            assert!(secret, "hosted: envFrom a Secret");
            let by_ref = |e: &Value| e["valueFrom"]["secretKeyRef"].is_object();
            let ok = key.is_none_or(|e| e["value"].is_null() && by_ref(e));
            assert!(ok, "hosted: CLERK_SECRET_KEY must not be a literal");
        } else {
            assert_eq!(mode, Some("public"));
            let no_key = !yaml.contains("CLERK_SECRET_KEY");
            assert!(no_key, "public: CLERK_SECRET_KEY appears");
            let redis = env_value(app, "REDIS_URL").unwrap_or_default();
            let ok = redis.starts_with("redis://") || redis.starts_with("rediss://");
            assert!(ok, "public: REDIS_URL is {redis:?}");
        }
        let ports = app["ports"].as_array().expect("container ports");
        for p in one("Service")["spec"]["ports"].as_array().unwrap() {
            let t = &p["targetPort"];
            let found = ports
                .iter()
                .any(|c| c["containerPort"] == *t || c["name"] == *t);
            assert!(found, "{o}: Service port {p} targets no container port");
        }
        for (kind, at) in [
            ("Deployment", "/spec/selector/matchLabels"),
            ("Service", "/spec/selector"),
            ("PodDisruptionBudget", "/spec/selector/matchLabels"),
            ("NetworkPolicy", "/spec/podSelector/matchLabels"),
        ] {
            let sel = one(kind).pointer(at).unwrap_or(&Value::Null);
            assert!(selects(sel, labels), "{o}: {kind} {at} = {sel}");
        }
        let target = &one("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"];
        assert_eq!(target["name"], dep["metadata"]["name"], "{o}: HPA target");
        assert_eq!(target["kind"], "Deployment", "{o}: HPA target kind");
    }
}

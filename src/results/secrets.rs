//! Live credentials in Clerk results: client secrets, API and machine keys, M2M, sign-in, actor and
//! testing tokens and their links, session JWTs, SCIM keys, invitation links.
//!
//! A compact view never shows one that a read returns (only `view: full`, or a `fields` entry
//! naming it, does). A call that creates or rotates one gets it back — Clerk shows it once, so
//! hiding it would lose it — in one field named `shown_once_<name>`, with a note to hand it to the
//! user and not repeat it.

use serde_json::{Map, Value};

/// A credential property of an object type, and the operations that issue it.
#[derive(Debug)]
pub struct Credential {
    /// The `object` value.
    pub object: &'static str,
    /// The property.
    pub field: &'static str,
    /// Operations that create or rotate it (their result is the only time Clerk shows it).
    pub issued_by: &'static [&'static str],
}

const fn c(
    object: &'static str,
    field: &'static str,
    issued_by: &'static [&'static str],
) -> Credential {
    Credential {
        object,
        field,
        issued_by,
    }
}

/// Every credential property of an object with an `object` value, from Clerk's spec.
pub const CREDENTIALS: &[Credential] = &[
    c(
        "oauth_application",
        "client_secret",
        &["CreateOAuthApplication", "RotateOAuthApplicationSecret"],
    ),
    c(
        "scim_directory",
        "api_key",
        &["CreateSCIMDirectory", "RotateSCIMDirectoryAPIKey"],
    ),
    c(
        "directory",
        "api_key",
        &["CreateDirectory", "RotateDirectoryAPIKey"],
    ),
    c("machine", "secret_key", &["CreateMachine"]),
    c("machine_secret_key", "secret", &["RotateMachineSecretKey"]),
    c("api_key", "secret", &["createApiKey"]),
    c("machine_to_machine_token", "token", &["createM2MToken"]),
    c(
        "admin_portal_link_token",
        "token",
        &["createAdminPortalLinkToken"],
    ),
    c("actor_token", "token", &["CreateActorToken"]),
    c("actor_token", "url", &["CreateActorToken"]),
    c("sign_in_token", "token", &["CreateSignInToken"]),
    c("sign_in_token", "url", &["CreateSignInToken"]),
    c("testing_token", "token", &["CreateTestingToken"]),
    c(
        "token",
        "jwt",
        &[
            "CreateSessionToken",
            "CreateSessionTokenFromTemplate",
            "RefreshSession",
        ],
    ),
    c("cookies", "cookies", &["RefreshSession"]),
    c("oauth_access_token", "token", &[]),
    c("oauth_access_token", "token_secret", &[]),
    c("oauth_access_token", "id_token", &[]),
    c("agent_task", "url", &["CreateAgentTask"]),
    c("phone_number", "backup_codes", &[]),
    c(
        "invitation",
        "url",
        &["CreateInvitation", "CreateBulkInvitations"],
    ),
    c(
        "organization_invitation",
        "url",
        &[
            "CreateOrganizationInvitation",
            "CreateOrganizationInvitationBulk",
        ],
    ),
];

/// Credentials in results without an `object` value, by operation: (operation, dotted path,
/// whether the operation issues it).
pub const BY_OPERATION: &[(&str, &str, bool)] = &[
    ("getApiKeySecret", "secret", false),
    ("CreateSvixApp", "svix_url", true),
    ("GenerateSvixAuthURL", "svix_url", true),
    ("CreateEnterpriseConnectionTestRun", "url", true),
    (
        "ListEnterpriseConnectionTestRuns",
        "oauth.access_token",
        false,
    ),
    ("ListEnterpriseConnectionTestRuns", "oauth.id_token", false),
    (
        "ListEnterpriseConnectionTestRuns",
        "saml.saml_response",
        false,
    ),
];

/// The credentials of an object type.
pub fn of_object(object: &str) -> impl Iterator<Item = &'static Credential> + '_ {
    CREDENTIALS.iter().filter(move |c| c.object == object)
}

/// The name under which an issued credential is shown.
pub fn label(field: &str) -> String {
    format!("shown_once_{field}")
}

/// The note that goes with an issued credential.
pub const ISSUED_NOTE: &str = "A `shown_once_…` field is a live credential Clerk shows only this once: hand it to the \
    user now, and do not repeat it later or write it anywhere else.";

/// Handles the credentials of an object without an `object` value, returned by `operation`:
/// issued ones are relabelled, read ones removed. Returns how many were shown.
pub fn by_operation(operation: &str, o: &mut Map<String, Value>) -> usize {
    let mut shown = 0;
    for (_, path, issued) in BY_OPERATION.iter().filter(|(op, _, _)| *op == operation) {
        let (parent, field) = match path.rsplit_once('.') {
            Some((p, f)) => (o.get_mut(p).and_then(Value::as_object_mut), f),
            None => (Some(&mut *o), *path),
        };
        let Some(parent) = parent else { continue };
        if let Some(v) = parent.remove(field)
            && *issued
            && !v.is_null()
        {
            parent.insert(label(field), v);
            shown += 1;
        }
    }
    shown
}

//! The compact view of each Clerk object type, defined once, keyed by the object's `object` field.
//!
//! A view lists the fields that answer everyday admin questions (who is this, how do I reach them,
//! are they blocked, when were they active, which role in which organization), with sub-arrays
//! replaced by counts or one-line summaries. Applying a view also drops nulls, empty values,
//! `object` markers and `verification` sub-objects, writes timestamps (Clerk sends Unix
//! milliseconds, which models misread) as ISO 8601 UTC, and removes invisible and direction-control
//! characters from strings. Types without a view pass through, with their known credentials taken
//! out (see `secrets.rs`). The README's view table is generated from [`VIEWS`].

use super::secrets;
use serde_json::{Map, Value, json};

/// How one field of a compact view is made from Clerk's object.
#[derive(Debug)]
pub enum Field {
    /// The property as Clerk sent it (compacted in turn).
    Keep(&'static str),
    /// A boolean shown only when true (`banned`, `locked`): its usual `false` says nothing.
    Flag(&'static str),
    /// A plain string from the entry of `list` whose `id` equals the object's `primary` id: the
    /// primary email address of a user.
    Primary {
        /// Output name.
        name: &'static str,
        /// The list property.
        list: &'static str,
        /// The property holding the primary entry's id.
        primary: &'static str,
        /// The entry's property to show.
        value: &'static str,
    },
    /// How many entries `list` has, shown when at least `min`.
    Count {
        /// Output name.
        name: &'static str,
        /// The list property.
        list: &'static str,
        /// Smallest count worth showing (1 when another field already shows the only entry).
        min: usize,
    },
    /// One property of each entry of `list`, as a list of strings (a role's permission keys).
    Each {
        /// Output name.
        name: &'static str,
        /// The list property.
        list: &'static str,
        /// The entry's property.
        key: &'static str,
    },
    /// Some properties of an embedded object (a membership's organization).
    Pick {
        /// Output name.
        name: &'static str,
        /// The embedded object's property.
        from: &'static str,
        /// Its properties to keep.
        keep: &'static [&'static str],
    },
    /// A person as one line, `First Last <identifier>`, from embedded public user data.
    Person {
        /// Output name.
        name: &'static str,
        /// The embedded public user data.
        from: &'static str,
    },
    /// One plain value of an embedded object: a verification's `status`, an inviter's identifier.
    Inner {
        /// Output name.
        name: &'static str,
        /// The embedded object's property.
        from: &'static str,
        /// Its property to show.
        key: &'static str,
    },
}

use Field::*;

/// The compact view of one or more `object` types.
#[derive(Debug)]
pub struct View {
    /// The `object` values it applies to.
    pub objects: &'static [&'static str],
    /// Its fields, in output order.
    pub fields: &'static [Field],
    /// Fields shown for a single object but left out of list items, where they multiply (twenty
    /// users' metadata and activity times cost more than the names and emails that were asked for);
    /// `fields` brings them back.
    pub detail: &'static [&'static str],
}

/// Every compact view. `private_metadata` is listed where Clerk has it: it is shown only when the
/// server runs with `--expose-private-metadata`.
pub const VIEWS: &[View] = &[
    View {
        objects: &["user"],
        fields: &[
            Keep("id"),
            Keep("first_name"),
            Keep("last_name"),
            Keep("username"),
            Primary {
                name: "email",
                list: "email_addresses",
                primary: "primary_email_address_id",
                value: "email_address",
            },
            Primary {
                name: "phone",
                list: "phone_numbers",
                primary: "primary_phone_number_id",
                value: "phone_number",
            },
            Keep("external_id"),
            Flag("banned"),
            Flag("locked"),
            Keep("created_at"),
            Keep("last_active_at"),
            Keep("public_metadata"),
            Keep("private_metadata"),
            Each {
                name: "sign_in_providers",
                list: "external_accounts",
                key: "provider",
            },
            Count {
                name: "organization_count",
                list: "organization_memberships",
                min: 1,
            },
        ],
        detail: &[
            "external_id",
            "last_active_at",
            "public_metadata",
            "private_metadata",
            "sign_in_providers",
            "organization_count",
        ],
    },
    View {
        objects: &["organization"],
        fields: &[
            Keep("id"),
            Keep("name"),
            Keep("slug"),
            Keep("members_count"),
            Keep("created_at"),
            Keep("public_metadata"),
            Keep("private_metadata"),
        ],
        detail: &[],
    },
    View {
        objects: &["organization_membership"],
        fields: &[
            Keep("role"),
            Pick {
                name: "organization",
                from: "organization",
                keep: &["id", "slug", "name"],
            },
            Inner {
                name: "user_id",
                from: "public_user_data",
                key: "user_id",
            },
            Person {
                name: "user",
                from: "public_user_data",
            },
            Keep("created_at"),
            Keep("public_metadata"),
            Keep("private_metadata"),
        ],
        detail: &[],
    },
    View {
        objects: &["organization_invitation"],
        fields: &[
            Keep("id"),
            Keep("email_address"),
            Keep("role"),
            Keep("status"),
            Inner {
                name: "inviter",
                from: "public_inviter_data",
                key: "identifier",
            },
            Keep("created_at"),
            Keep("expires_at"),
            Keep("public_metadata"),
            Keep("private_metadata"),
        ],
        detail: &[],
    },
    View {
        objects: &["invitation"],
        fields: &[
            Keep("id"),
            Keep("email_address"),
            Keep("status"),
            Keep("created_at"),
            Keep("expires_at"),
            Keep("public_metadata"),
        ],
        detail: &[],
    },
    View {
        objects: &["session"],
        fields: &[
            Keep("id"),
            Keep("user_id"),
            Keep("status"),
            Keep("last_active_at"),
            Keep("expire_at"),
            Keep("last_active_organization_id"),
            Keep("actor"),
            Pick {
                name: "activity",
                from: "latest_activity",
                keep: &["device_type", "browser_name", "city", "country"],
            },
        ],
        detail: &[],
    },
    View {
        objects: &["role"],
        fields: &[
            Keep("id"),
            Keep("key"),
            Keep("name"),
            Each {
                name: "permissions",
                list: "permissions",
                key: "key",
            },
        ],
        detail: &[],
    },
    View {
        objects: &["permission"],
        fields: &[Keep("id"), Keep("key"), Keep("name")],
        detail: &[],
    },
    View {
        objects: &["organization_domain"],
        fields: &[
            Keep("id"),
            Keep("name"),
            Keep("organization_id"),
            Keep("enrollment_mode"),
            Inner {
                name: "affiliation_status",
                from: "affiliation_verification",
                key: "status",
            },
            Inner {
                name: "ownership_status",
                from: "ownership_verification",
                key: "status",
            },
            Keep("affiliation_email_address"),
            Keep("total_pending_invitations"),
            Keep("total_pending_suggestions"),
            Keep("created_at"),
        ],
        detail: &[],
    },
    View {
        objects: &["allowlist_identifier", "blocklist_identifier"],
        fields: &[
            Keep("id"),
            Keep("identifier"),
            Keep("identifier_type"),
            Keep("invitation_id"),
            Keep("created_at"),
        ],
        detail: &[],
    },
    View {
        objects: &["total_count"],
        fields: &[Keep("total_count")],
        detail: &[],
    },
    View {
        objects: &["email_address"],
        fields: &[
            Keep("id"),
            Keep("email_address"),
            Inner {
                name: "status",
                from: "verification",
                key: "status",
            },
        ],
        detail: &[],
    },
    View {
        objects: &["phone_number"],
        fields: &[
            Keep("id"),
            Keep("phone_number"),
            Inner {
                name: "status",
                from: "verification",
                key: "status",
            },
        ],
        detail: &[],
    },
    View {
        objects: &["external_account", "google_account", "facebook_account"],
        fields: &[
            Keep("id"),
            Keep("provider"),
            Keep("email_address"),
            Keep("username"),
            Inner {
                name: "status",
                from: "verification",
                key: "status",
            },
        ],
        detail: &[],
    },
    View {
        objects: &["web3_wallet"],
        fields: &[
            Keep("id"),
            Keep("web3_wallet"),
            Inner {
                name: "status",
                from: "verification",
                key: "status",
            },
        ],
        detail: &[],
    },
    View {
        objects: &["passkey"],
        fields: &[Keep("id"), Keep("name"), Keep("last_used_at")],
        detail: &[],
    },
    View {
        objects: &["saml_account", "enterprise_account"],
        fields: &[
            Keep("id"),
            Keep("provider"),
            Keep("email_address"),
            Keep("active"),
        ],
        detail: &[],
    },
];

/// The output name of a field.
pub fn field_name(f: &Field) -> &'static str {
    match f {
        Keep(n) | Flag(n) => n,
        Primary { name, .. }
        | Count { name, .. }
        | Each { name, .. }
        | Pick { name, .. }
        | Person { name, .. }
        | Inner { name, .. } => name,
    }
}

/// Properties of a deleted-object answer (`{object, id, deleted: true}`; Clerk's spec leaves its
/// `object` free, so it is recognised by shape).
const DELETED: [&str; 5] = ["object", "id", "slug", "external_id", "deleted"];

/// The view of an `object` value.
pub fn view_of(object: &str) -> Option<&'static View> {
    VIEWS.iter().find(|v| v.objects.contains(&object))
}

/// Whether a value is a Clerk deleted-object answer.
pub fn is_deleted(o: &Map<String, Value>) -> bool {
    o.get("deleted") == Some(&Value::Bool(true))
}

/// Invisible and direction-control characters, which can hide instructions in user-written text
/// (zero-width spaces and joiners, bidirectional overrides and isolates, the byte-order mark, and the
/// Unicode tag block).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{E0000}'..='\u{E007F}')
}

/// Options and counters of one compaction.
#[derive(Debug, Default)]
pub struct Compactor {
    /// Show private metadata (`--expose-private-metadata`).
    pub expose_private_metadata: bool,
    /// The operation whose result this is: a credential it issues is shown once, labelled.
    pub operation_id: String,
    /// Invisible characters removed so far.
    pub removed_invisible: usize,
    /// Labelled credentials shown so far.
    pub credentials_shown: usize,
    /// Set while compacting the items of a list: their views leave out `detail` fields.
    pub list_item: bool,
}

/// Whether a compacted value carries nothing.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Unix milliseconds as ISO 8601 UTC (`2026-01-02T03:04:05Z`; milliseconds only when not zero).
pub fn iso(ms: i64) -> Option<String> {
    let t = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)?;
    let format = if ms % 1000 == 0 {
        chrono::SecondsFormat::Secs
    } else {
        chrono::SecondsFormat::Millis
    };
    Some(t.to_rfc3339_opts(format, true))
}

/// Whether a property name holds a Clerk timestamp (`created_at`, `last_sign_in_at`, `expire_at`).
pub fn is_timestamp(name: &str) -> bool {
    name.ends_with("_at")
}

impl Compactor {
    /// Compacts any value: objects with a view get it, others pass through with their credentials
    /// handled; strings lose invisible characters.
    pub fn compact(&mut self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.clean_str(s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.compact(x)).collect()),
            Value::Object(o) => Value::Object(self.compact_object(o)),
            other => other,
        }
    }

    /// A property value: timestamps become ISO strings, everything else is compacted.
    pub fn field(&mut self, name: &str, v: Value) -> Value {
        match (&v, is_timestamp(name)) {
            (Value::Number(n), true) => n.as_i64().and_then(iso).map(Value::String).unwrap_or(v),
            _ => self.compact(v),
        }
    }

    fn clean_str(&mut self, s: String) -> String {
        if !s.chars().any(is_invisible) {
            return s;
        }
        let before = s.chars().count();
        let out: String = s.chars().filter(|c| !is_invisible(*c)).collect();
        self.removed_invisible += before - out.chars().count();
        out
    }

    fn compact_object(&mut self, mut o: Map<String, Value>) -> Map<String, Value> {
        if is_deleted(&o) {
            return DELETED
                .iter()
                .filter_map(|k| o.remove(*k).map(|v| (k.to_string(), self.compact(v))))
                .collect();
        }
        let object = o.get("object").and_then(Value::as_str).map(String::from);
        match object.as_deref().and_then(view_of) {
            Some(view) => self.apply(view, o),
            None => {
                self.list_item = false;
                if let Some(object) = &object {
                    self.handle_credentials(object, &mut o);
                }
                if !self.expose_private_metadata {
                    o.remove("private_metadata");
                }
                o.into_iter()
                    .map(|(k, v)| {
                        let v = self.compact(v);
                        (k, v)
                    })
                    .collect()
            }
        }
    }

    /// Takes an object's credentials out of a pass-through object, labelling the ones this
    /// operation issues (Clerk shows them once) instead of dropping them.
    fn handle_credentials(&mut self, object: &str, o: &mut Map<String, Value>) {
        for c in secrets::of_object(object) {
            if let Some(v) = o.remove(c.field)
                && !v.is_null()
                && c.issued_by.contains(&self.operation_id.as_str())
            {
                o.insert(secrets::label(c.field), v);
                self.credentials_shown += 1;
            }
        }
    }

    /// Builds an object's compact view.
    pub fn apply(&mut self, view: &View, mut o: Map<String, Value>) -> Map<String, Value> {
        let object = o
            .get("object")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut out = Map::new();
        // Only the list items themselves are slimmed, not what they embed.
        let item = std::mem::replace(&mut self.list_item, false);
        for f in view.fields {
            if item && view.detail.contains(&field_name(f)) {
                continue;
            }
            let (name, value) = match f {
                Keep("private_metadata") if !self.expose_private_metadata => continue,
                Keep(k) => (*k, o.remove(*k).map(|v| self.field(k, v))),
                Flag(k) => (*k, o.remove(*k).filter(|v| *v == Value::Bool(true))),
                Primary {
                    name,
                    list,
                    primary,
                    value,
                } => {
                    let id = o.get(*primary).cloned().unwrap_or(Value::Null);
                    let found = o
                        .get(*list)
                        .and_then(Value::as_array)
                        .and_then(|a| a.iter().find(|e| !id.is_null() && e.get("id") == Some(&id)))
                        .and_then(|e| e.get(*value))
                        .cloned();
                    (*name, found.map(|v| self.compact(v)))
                }
                Count { name, list, min } => {
                    let n = o.get(*list).and_then(Value::as_array).map_or(0, Vec::len);
                    (*name, (n >= *min && n > 0).then(|| json!(n)))
                }
                Each { name, list, key } => {
                    let items: Vec<Value> = o
                        .get(*list)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.get(*key).cloned())
                        .collect();
                    (*name, Some(self.compact(Value::Array(items))))
                }
                Pick { name, from, keep } => {
                    let picked = match o.get(*from) {
                        Some(Value::Object(inner)) => Value::Object(
                            keep.iter()
                                .filter_map(|k| inner.get(*k).map(|v| (k.to_string(), v.clone())))
                                .map(|(k, v)| {
                                    let v = self.field(&k, v);
                                    (k, v)
                                })
                                .filter(|(_, v)| !is_empty(v))
                                .collect(),
                        ),
                        _ => Value::Null,
                    };
                    (*name, Some(picked))
                }
                Person { name, from } => {
                    let p = o.get(*from);
                    let part = |k: &str| {
                        p.and_then(|p| p.get(k))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                    };
                    let full = format!("{} {}", part("first_name"), part("last_name"));
                    let line = match (full.trim(), part("identifier")) {
                        ("", id) => id.to_string(),
                        (n, "") => n.to_string(),
                        (n, id) => format!("{n} <{id}>"),
                    };
                    (*name, Some(self.compact(json!(line))))
                }
                Inner { name, from, key } => (
                    *name,
                    o.get(*from)
                        .and_then(|v| v.get(*key))
                        .cloned()
                        .map(|v| self.field(key, v)),
                ),
            };
            if let Some(v) = value.filter(|v| !is_empty(v)) {
                out.insert(name.to_string(), v);
            }
        }
        // A credential this operation issues is shown once, labelled; any other never is.
        for c in secrets::of_object(&object) {
            if let Some(v) = o.remove(c.field).filter(|v| !v.is_null())
                && c.issued_by.contains(&self.operation_id.as_str())
            {
                out.insert(secrets::label(c.field), v);
                self.credentials_shown += 1;
            }
        }
        out
    }
}

/// The README's table of compact views (between `<!-- views:start -->` and `<!-- views:end -->`),
/// generated from [`VIEWS`] so it cannot go stale: a test compares the two.
pub fn readme_table() -> String {
    let mut out = String::from(
        "| `object` | compact view (*italic*: single objects only, not list items) |\n|---|---|\n",
    );
    for v in VIEWS {
        let fields: Vec<String> = v
            .fields
            .iter()
            .map(|f| {
                let n = field_name(f);
                let shown = match f {
                    Keep("private_metadata") => format!("{n} (if exposed)"),
                    Flag(_) => format!("{n} (if true)"),
                    Primary { list, value, .. } => format!("{n} (primary {list} {value})"),
                    Count { list, .. } => format!("{n} (of {list})"),
                    Each { list, key, .. } => format!("{n} ({list}[].{key})"),
                    Pick { from, keep, .. } => format!("{n} ({from}: {})", keep.join(", ")),
                    Person { from, .. } => format!("{n} (\"First Last <identifier>\" of {from})"),
                    Inner { from, key, .. } => format!("{n} ({from}.{key})"),
                    Keep(_) => n.to_string(),
                };
                if v.detail.contains(&n) {
                    format!("*{shown}*")
                } else {
                    shown
                }
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} |\n",
            v.objects
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", "),
            fields.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_the_listed_ranges() {
        for c in [
            '\u{200B}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{FEFF}',
            '\u{E0001}',
            '\u{E007F}',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', ' ', 'é', '\u{2010}', '\u{2070}', '😀', '\u{E0080}'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }

    #[test]
    fn timestamps_become_iso_utc() {
        assert_eq!(iso(1_700_000_000_000).unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(iso(1_700_000_000_123).unwrap(), "2023-11-14T22:13:20.123Z");
        let mut c = Compactor::default();
        assert_eq!(
            c.field("created_at", json!(0)),
            json!("1970-01-01T00:00:00Z")
        );
        assert_eq!(c.field("lockout_expires_in_seconds", json!(30)), json!(30));
    }

    #[test]
    fn a_membership_names_its_organization_and_user_only() {
        let m = json!({"object": "organization_membership", "id": "orgmem_1", "role": "org:admin",
            "role_name": "Admin", "permissions": ["org:a:b"], "public_metadata": {}, "private_metadata": {"x": 1},
            "organization": {"object": "organization", "id": "org_1", "slug": "acme", "name": "Acme",
                "image_url": "https://img", "public_metadata": {"big": "x".repeat(500)}, "created_at": 1},
            "public_user_data": {"user_id": "user_1", "identifier": "ada@example.com", "first_name": "Ada",
                "last_name": null, "image_url": "https://img", "has_image": false},
            "created_at": 1_700_000_000_000_i64, "updated_at": 1_700_000_000_000_i64});
        let out = Compactor::default().compact(m);
        assert_eq!(
            out,
            json!({"role": "org:admin", "organization": {"id": "org_1", "slug": "acme", "name": "Acme"},
                "user_id": "user_1", "user": "Ada <ada@example.com>", "created_at": "2023-11-14T22:13:20Z"})
        );
    }

    #[test]
    fn unknown_types_pass_through_without_their_credentials() {
        let mut c = Compactor {
            operation_id: "getM2MTokens".into(),
            ..Compactor::default()
        };
        let v = json!({"object": "machine_to_machine_token", "id": "mt_1", "token": "mt_secret", "scopes": ["a"]});
        assert_eq!(
            c.compact(v.clone()),
            json!({"object": "machine_to_machine_token", "id": "mt_1", "scopes": ["a"]})
        );
        let mut issuing = Compactor {
            operation_id: "createM2MToken".into(),
            ..Compactor::default()
        };
        let out = issuing.compact(v);
        assert_eq!(out[secrets::label("token")], json!("mt_secret"));
        assert_eq!(issuing.credentials_shown, 1);
    }
}

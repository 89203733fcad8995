//! Users from the configuration (`user` lines) and from the ACL file (`aclfile`): read at
//! start-up, by ACL LOAD (all or nothing, as Redis's ACLLoadFromFile), and written by ACL SAVE.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{has_spaces, merge_selectors, User, Users};
use crate::config::Config;

/// The ACL file's path: a relative one is taken in `dir`, where Redis runs.
pub fn path(config: &Config) -> Option<PathBuf> {
    config.aclfile.as_ref().map(|p| config.dir.join(p))
}

/// The users a server starts with: the default user (with `requirepass`), then the `user`
/// lines, or the ACL file. Err: why the server must not start, in Redis's words.
pub fn at_startup(config: &Config) -> Result<Users, String> {
    let all_channels = config.acl_pubsub_default_all;
    let mut users = Users::initial(config.requirepass.as_deref());
    if config.aclfile.is_some() && !config.users.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is \
                    invalid. This setup is very likely to lead to configuration errors and security holes, please \
                    define either an ACL file or declare users directly in your redis.conf, but not both."
            .into());
    }
    for def in &config.users {
        let name = &def[0];
        if has_spaces(name) {
            return Err("Spaces not allowed in ACL usernames".into());
        }
        let mut user = match name.as_slice() {
            // The default user is reset, then given the line's rules.
            b"default" => {
                let mut d = (**users.default_user()).clone();
                d.apply(b"reset", all_channels).expect("reset");
                d
            }
            _ => User::new(name, all_channels),
        };
        for rule in &def[1..] {
            user.apply(rule, all_channels).map_err(|e| {
                format!(
                    "Error loading ACL rule '{}' for the user named '{}': {}",
                    String::from_utf8_lossy(rule),
                    String::from_utf8_lossy(name),
                    e.text()
                )
            })?;
        }
        users.users.insert(name.clone(), Arc::new(user));
    }
    if let Some(file) = path(config) {
        users = load(&file, all_channels)
            .map_err(|errors| format!("Aborting Redis startup because of ACL errors: {errors}"))?;
    }
    Ok(users)
}

/// Reads the ACL file into a new table (version 1: a change sets its own). Nothing is
/// taken unless every line is right: Err is every problem found, in Redis's words.
pub fn load(file: &Path, all_channels: bool) -> Result<Users, String> {
    let shown = file.display().to_string();
    let text = std::fs::read(file)
        .map_err(|e| format!("Error loading ACLs, opening file '{shown}': {}", crate::config::os_reason(&e)))?;
    let mut errors = String::new();
    let mut users: BTreeMap<Vec<u8>, Arc<User>> = BTreeMap::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = trim(raw, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let linenum = i + 1;
        let argv: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!("{shown}:{linenum} should start with user keyword followed by the username. "));
            continue;
        }
        let name = argv[1];
        if has_spaces(name) {
            errors.push_str(&format!(
                "'{shown}:{linenum}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {linenum}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut user = User::new(name, all_channels);
        match merge_selectors(&argv[2..]) {
            Err(_) => errors.push_str(&format!("{shown}:{linenum}: Unmatched parenthesis in selector definition.")),
            Ok(rules) => {
                for rule in rules {
                    let rule = trim(&rule, b"\t\r\n");
                    if let Err(e) = user.apply(rule, all_channels) {
                        errors.push_str(&format!(
                            "{shown}:{linenum}: Error in applying operation '{}': {}. ",
                            String::from_utf8_lossy(rule),
                            e.text()
                        ));
                    }
                }
            }
        }
        users.insert(name.to_vec(), Arc::new(user));
    }
    if !errors.is_empty() {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        return Err(errors);
    }
    users.entry(b"default".to_vec()).or_insert_with(|| Arc::new(User::default_user()));
    // Version 0 is what an internal client's user claims: a table in use is 1 or later.
    Ok(Users { version: 1, users })
}

/// Writes every user to the ACL file, as ACL LIST shows them (a temporary file renamed over
/// it, so a reader never sees half of it).
pub fn save(file: &Path, users: &Users) -> std::io::Result<()> {
    let mut text = Vec::new();
    for line in users.lines() {
        text.extend(line);
        text.push(b'\n');
    }
    let tmp = PathBuf::from(format!("{}.tmp-{}-{}", file.display(), std::process::id(), crate::shard::now_ms()));
    let written = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !set.contains(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

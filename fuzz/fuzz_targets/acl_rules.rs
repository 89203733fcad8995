//! ACL rules: any words as ACL SETUSER arguments (selectors joined as the command joins them),
//! applied to a user, described, and the description applied again to a new user, which must
//! describe the same (unless a selector's pattern holds a parenthesis, a quote or a backslash:
//! such a description does not read back, in Redis neither).
#![no_main]
use libfuzzer_sys::fuzz_target;
use shardis::acl::{merge_selectors, User};

fuzz_target!(|data: &[u8]| {
    let words: Vec<&[u8]> = data.split(|&b| b == b' ').collect();
    let Ok(rules) = merge_selectors(&words) else { return };
    let mut user = User::new(b"fuzz", false);
    for rule in &rules {
        if user.apply(rule, false).is_err() {
            return;
        }
    }
    let described = user.describe();
    let describable = user.selectors[1..]
        .iter()
        .all(|s| s.keys.iter().map(|(p, _)| p).chain(&s.channels).all(|p| !p.iter().any(|b| b"()\"'\\".contains(b))));
    if !describable {
        return;
    }
    let mut again = User::new(b"fuzz", false);
    let again_rules: Vec<&[u8]> = described.split(|&b| b == b' ').collect();
    if let Ok(merged) = merge_selectors(&again_rules) {
        for rule in &merged {
            again.apply(rule, false).expect("a description applies");
        }
        assert_eq!(again.describe(), described, "a description describes the same user");
    }
});

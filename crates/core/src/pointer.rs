//! Reading and writing a JSON value at an RFC 6901 pointer.
//!
//! Subscriptions name their target with a pointer into the consumer's domain (`/VpcId`,
//! `/VpcConfig/SubnetIds/0`). Writing there must create the objects on the way, as a user
//! who subscribes `/VpcConfig/SubnetIds` has usually not written `VpcConfig` yet.
//! A token addresses an array element when the container is an array, and an object key
//! otherwise, so a key made of digits stays a key.

use serde_json::{Map, Value};

use crate::{CoreError, Result};

/// Splits a pointer into unescaped tokens (`~1` is `/`, `~0` is `~`).
fn tokens(pointer: &str) -> Result<Vec<String>> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(CoreError::InvalidPointer {
            pointer: pointer.to_string(),
        });
    };
    Ok(rest
        .split('/')
        .map(|raw| raw.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Returns the value at `pointer`, or `None` when any step is missing.
pub fn get_at_pointer<'a>(target: &'a Value, pointer: &str) -> Option<&'a Value> {
    target.pointer(pointer)
}

/// Writes `value` at `pointer`, creating missing objects along the way. The empty pointer
/// replaces the whole target.
///
/// # Errors
/// Fails when the pointer is malformed, passes through a scalar, or names an array index
/// past the end. An index equal to the length, or `-`, appends.
pub fn set_at_pointer(target: &mut Value, pointer: &str, value: Value) -> Result<()> {
    let tokens = tokens(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        *target = value;
        return Ok(());
    };

    let mut current = target;
    for (depth, token) in parents.iter().enumerate() {
        if current.is_null() {
            *current = Value::Object(Map::new());
        }
        if child_mut(current, token).is_none() {
            insert(current, token, Value::Object(Map::new()), pointer, depth)?;
        }
        current = child_mut(current, token).expect("inserted just above");
    }

    if current.is_null() {
        *current = Value::Object(Map::new());
    }
    insert(current, last, value, pointer, parents.len())
}

/// Removes and returns the value at `pointer`; `Ok(None)` when nothing is there.
///
/// # Errors
/// Fails when the pointer is malformed or empty (the root cannot be removed).
pub fn remove_at_pointer(target: &mut Value, pointer: &str) -> Result<Option<Value>> {
    let tokens = tokens(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        return Err(CoreError::RemoveRoot);
    };

    let mut current = target;
    for token in parents {
        match child_mut(current, token) {
            Some(next) => current = next,
            None => return Ok(None),
        }
    }

    Ok(match current {
        Value::Object(map) => map.shift_remove(last.as_str()),
        Value::Array(items) => match last.parse::<usize>() {
            Ok(index) if index < items.len() => Some(items.remove(index)),
            _ => None,
        },
        _ => None,
    })
}

/// Returns the child at `token`, or `None` when it is missing or `container` is a scalar.
fn child_mut<'a>(container: &'a mut Value, token: &str) -> Option<&'a mut Value> {
    match container {
        Value::Object(map) => map.get_mut(token),
        Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    }
}

fn insert(
    container: &mut Value,
    token: &str,
    value: Value,
    pointer: &str,
    depth: usize,
) -> Result<()> {
    match container {
        Value::Object(map) => {
            map.insert(token.to_string(), value);
            Ok(())
        }
        Value::Array(items) => {
            let length = items.len();
            let index = if token == "-" {
                length
            } else {
                token
                    .parse::<usize>()
                    .map_err(|_| CoreError::NotAContainer {
                        pointer: pointer.to_string(),
                        parent: parent_pointer(pointer, depth),
                    })?
            };
            match index {
                i if i < length => items[i] = value,
                i if i == length => items.push(value),
                _ => {
                    return Err(CoreError::IndexOutOfRange {
                        pointer: pointer.to_string(),
                        index,
                        length,
                    });
                }
            }
            Ok(())
        }
        _ => Err(CoreError::NotAContainer {
            pointer: pointer.to_string(),
            parent: parent_pointer(pointer, depth),
        }),
    }
}

/// Returns the first `depth` tokens of `pointer`, still escaped, for error messages.
fn parent_pointer(pointer: &str, depth: usize) -> String {
    pointer
        .split('/')
        .take(depth + 1)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn set_creates_intermediate_objects() {
        let mut domain = json!({"CidrBlock": "10.0.0.0/16"});
        set_at_pointer(&mut domain, "/VpcConfig/SubnetIds", json!(["subnet-1"])).unwrap();
        assert_eq!(
            domain,
            json!({"CidrBlock": "10.0.0.0/16", "VpcConfig": {"SubnetIds": ["subnet-1"]}})
        );
    }

    #[test]
    fn set_into_array_replaces_or_appends() {
        let mut domain = json!({"Ids": ["a", "b"]});
        set_at_pointer(&mut domain, "/Ids/1", json!("x")).unwrap();
        set_at_pointer(&mut domain, "/Ids/2", json!("y")).unwrap();
        set_at_pointer(&mut domain, "/Ids/-", json!("z")).unwrap();
        assert_eq!(domain, json!({"Ids": ["a", "x", "y", "z"]}));
    }

    #[test]
    fn set_past_array_end_fails() {
        let mut domain = json!({"Ids": []});
        let error = set_at_pointer(&mut domain, "/Ids/3", json!("x")).unwrap_err();
        assert!(matches!(
            error,
            CoreError::IndexOutOfRange {
                index: 3,
                length: 0,
                ..
            }
        ));
    }

    #[test]
    fn set_through_scalar_fails_naming_parent() {
        let mut domain = json!({"Name": "web"});
        let error = set_at_pointer(&mut domain, "/Name/First", json!("x")).unwrap_err();
        assert_eq!(
            error,
            CoreError::NotAContainer {
                pointer: "/Name/First".to_string(),
                parent: "/Name".to_string()
            }
        );
    }

    #[test]
    fn digit_keys_stay_keys_in_objects() {
        let mut domain = json!({});
        set_at_pointer(&mut domain, "/Ports/443", json!(true)).unwrap();
        assert_eq!(domain, json!({"Ports": {"443": true}}));
        assert_eq!(get_at_pointer(&domain, "/Ports/443"), Some(&json!(true)));
    }

    #[test]
    fn escaped_tokens_round_trip() {
        let mut domain = json!({});
        set_at_pointer(&mut domain, "/a~1b/c~0d", json!(1)).unwrap();
        assert_eq!(domain, json!({"a/b": {"c~d": 1}}));
        assert_eq!(
            remove_at_pointer(&mut domain, "/a~1b/c~0d").unwrap(),
            Some(json!(1))
        );
        assert_eq!(domain, json!({"a/b": {}}));
    }

    #[test]
    fn remove_missing_path_is_none() {
        let mut domain = json!({"Tags": [{"Key": "a"}]});
        assert_eq!(remove_at_pointer(&mut domain, "/Tags/5").unwrap(), None);
        assert_eq!(remove_at_pointer(&mut domain, "/Nope/x").unwrap(), None);
        assert_eq!(
            remove_at_pointer(&mut domain, "").unwrap_err(),
            CoreError::RemoveRoot
        );
    }

    #[test]
    fn pointer_without_leading_slash_is_invalid() {
        let mut domain = json!({});
        let error = set_at_pointer(&mut domain, "VpcId", json!(1)).unwrap_err();
        assert!(error.to_string().contains("\"VpcId\""), "{error}");
    }
}

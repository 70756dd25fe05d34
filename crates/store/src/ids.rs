//! Typed ids, so a component id is never passed where a change set id belongs.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new() -> Self {
                $name(uuid::Uuid::new_v4().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id!(
    /// A workspace's id.
    WorkspaceId
);
typed_id!(
    /// A change set's id; HEAD has one too.
    ChangeSetId
);
typed_id!(
    /// A component's id, the same in every change set that holds the component.
    ComponentId
);
typed_id!(
    /// A secret's id.
    SecretId
);
typed_id!(
    /// An action's id.
    ActionId
);

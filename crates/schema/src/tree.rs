//! The property tree of a type, for `canopy schema show` and, later, generated forms.

use serde::Serialize;
use serde_json::Value;

use crate::path::Segment;
use crate::resource::ResourceSchema;

/// Recursive definitions (a JSON value type that contains itself) stop here.
const MAX_DEPTH: usize = 8;

/// One property of a type, with its marks and children.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyNode {
    pub name: String,
    /// JSON pointer into the resource model, with `*` for array items.
    pub path: String,
    pub types: Vec<String>,
    pub description: Option<String>,
    pub required: bool,
    pub create_only: bool,
    pub conditional_create_only: bool,
    pub read_only: bool,
    pub write_only: bool,
    pub deprecated: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<PropertyNode>,
}

impl ResourceSchema {
    /// Returns the type's properties as a tree, following `$ref`, object properties and
    /// array items.
    pub fn property_tree(&self) -> Vec<PropertyNode> {
        let Some(root) = self.resolve(&self.document) else {
            return Vec::new();
        };
        self.children(root, &mut Vec::new(), "", 0)
    }

    fn children(
        &self,
        schema: &Value,
        path: &mut Vec<Segment>,
        pointer: &str,
        depth: usize,
    ) -> Vec<PropertyNode> {
        if depth >= MAX_DEPTH {
            return Vec::new();
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Vec::new();
        };
        properties
            .iter()
            .filter_map(|(name, child)| {
                let child = self.resolve(child)?;
                path.push(Segment::Key(name.clone()));
                let node = self.node(
                    name,
                    child,
                    path,
                    &format!("{pointer}/{name}"),
                    required.contains(&name.as_str()),
                    depth,
                );
                path.pop();
                Some(node)
            })
            .collect()
    }

    fn node(
        &self,
        name: &str,
        schema: &Value,
        path: &mut Vec<Segment>,
        pointer: &str,
        required: bool,
        depth: usize,
    ) -> PropertyNode {
        let types = types_of(schema);
        // Items are described under `*`, and matched by index 0 for the metadata checks.
        let children = match schema.get("items").and_then(|items| self.resolve(items)) {
            Some(items) => {
                path.push(Segment::Index(0));
                let nodes = self.children(items, path, &format!("{pointer}/*"), depth + 1);
                path.pop();
                nodes
            }
            None => self.children(schema, path, pointer, depth + 1),
        };
        PropertyNode {
            name: name.to_string(),
            path: pointer.to_string(),
            types,
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            required,
            create_only: self.is_create_only(path),
            conditional_create_only: self.is_conditional_create_only(path),
            read_only: self.is_read_only(path),
            write_only: self.is_write_only(path),
            deprecated: self.deprecated.iter().any(|p| p.is_prefix_of(path)),
            enum_values: schema
                .get("enum")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            children,
        }
    }
}

fn types_of(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(name)) => vec![name.clone()],
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ if schema.get("properties").is_some() => vec!["object".to_string()],
        _ => Vec::new(),
    }
}

/// Renders a property tree as an indented listing with marks and the first sentence of
/// each description.
pub fn render_tree(nodes: &[PropertyNode]) -> String {
    let mut out = String::new();
    render(nodes, 1, &mut out);
    out
}

fn render(nodes: &[PropertyNode], depth: usize, out: &mut String) {
    for node in nodes {
        let mut marks = Vec::new();
        for (on, mark) in [
            (node.required, "required"),
            (node.create_only, "create-only"),
            (node.conditional_create_only, "conditionally create-only"),
            (node.read_only, "read-only"),
            (node.write_only, "write-only"),
            (node.deprecated, "deprecated"),
        ] {
            if on {
                marks.push(format!("[{mark}]"));
            }
        }
        let indent = "  ".repeat(depth);
        let types = if node.types.is_empty() {
            String::new()
        } else {
            format!(" ({})", node.types.join("|"))
        };
        out.push_str(
            &format!("{indent}{}{types} {}\n", node.name, marks.join(" ")).replace(" \n", "\n"),
        );
        if let Some(sentence) = node
            .description
            .as_deref()
            .map(first_sentence)
            .filter(|s| !s.is_empty())
        {
            out.push_str(&format!("{indent}    {sentence}\n"));
        }
        if !node.enum_values.is_empty() {
            let values: Vec<String> = node.enum_values.iter().map(Value::to_string).collect();
            out.push_str(&format!("{indent}    one of {}\n", values.join(", ")));
        }
        render(&node.children, depth + 1, out);
    }
}

fn first_sentence(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    match line.find(". ") {
        Some(end) => line[..=end].to_string(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::Registry;

    use super::render_tree;

    #[test]
    fn bucket_tree_marks_identifier_and_write_only() {
        let schema = Registry::bundled().get("AWS::S3::Bucket").unwrap();
        let tree = schema.property_tree();
        let name = tree.iter().find(|n| n.name == "BucketName").unwrap();
        assert!(name.create_only);
        assert!(!name.read_only);
        let arn = tree.iter().find(|n| n.name == "Arn").unwrap();
        assert!(arn.read_only);
        let lifecycle = tree
            .iter()
            .find(|n| n.name == "LifecycleConfiguration")
            .unwrap();
        let rules = lifecycle
            .children
            .iter()
            .find(|n| n.name == "Rules")
            .unwrap();
        let transition = rules
            .children
            .iter()
            .find(|n| n.name == "Transition")
            .unwrap();
        assert_eq!(
            transition.path,
            "/LifecycleConfiguration/Rules/*/Transition"
        );
        assert!(transition.write_only);
        let id = rules.children.iter().find(|n| n.name == "Id").unwrap();
        assert!(!id.write_only);
        let text = render_tree(&tree);
        assert!(text.contains("BucketName (string) [create-only]"), "{text}");
        assert!(text.contains("Transition (object) [write-only]"), "{text}");
    }

    #[test]
    fn security_group_tree_marks_required() {
        let schema = Registry::bundled().get("AWS::EC2::SecurityGroup").unwrap();
        let tree = schema.property_tree();
        let description = tree.iter().find(|n| n.name == "GroupDescription").unwrap();
        assert!(description.required);
        assert!(description.create_only);
        let ingress = tree
            .iter()
            .find(|n| n.name == "SecurityGroupIngress")
            .unwrap();
        let protocol = ingress
            .children
            .iter()
            .find(|n| n.name == "IpProtocol")
            .unwrap();
        assert!(protocol.required);
        assert_eq!(protocol.path, "/SecurityGroupIngress/*/IpProtocol");
    }
}

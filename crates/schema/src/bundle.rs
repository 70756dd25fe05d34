//! The embedded schema bundle: unpacked once, parsed one type at a time.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::resource::ResourceSchema;
use crate::{Result, SchemaError};

static BUNDLE: &[u8] = include_bytes!("../bundle/schemas.tar.zst");

/// The source and version of the bundled schemas.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub source: String,
    pub source_version: String,
    pub schema_region: String,
    pub type_count: usize,
    pub regions: Vec<String>,
    pub generated_at: String,
}

/// A type's name, description and handler names, read without parsing its schema.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSummary {
    pub type_name: String,
    pub description: String,
    pub handlers: Vec<String>,
}

/// Every bundled resource schema and each region's list of available types.
pub struct Registry {
    /// The bundle's tar, decompressed; entries are byte ranges into it.
    tar: Vec<u8>,
    entries: HashMap<String, Range<usize>>,
    manifest: Manifest,
    summaries: Vec<TypeSummary>,
    regions: HashMap<String, BTreeSet<String>>,
    region_names: Vec<String>,
    parsed: Mutex<HashMap<String, Arc<ResourceSchema>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("source_version", &self.manifest.source_version)
            .field("types", &self.summaries.len())
            .finish()
    }
}

impl Registry {
    /// Returns the registry built from the bundle embedded in this binary.
    ///
    /// # Panics
    /// Panics if the embedded bundle is damaged, which a test of this crate would catch
    /// before release.
    pub fn bundled() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            Registry::from_compressed(BUNDLE).expect("the embedded schema bundle must unpack")
        })
    }

    /// Builds a registry from a zstd-compressed tar in the bundle's layout.
    pub fn from_compressed(bytes: &[u8]) -> Result<Registry> {
        let tar = zstd::decode_all(bytes).map_err(|e| SchemaError::Bundle(e.to_string()))?;
        let entries = index_tar(&tar)?;
        let read_json = |name: &str| -> Result<serde_json::Value> {
            let range = entries
                .get(name)
                .ok_or_else(|| SchemaError::Bundle(format!("missing {name}")))?;
            serde_json::from_slice(&tar[range.clone()])
                .map_err(|e| SchemaError::Bundle(format!("{name}: {e}")))
        };
        let manifest: Manifest = serde_json::from_value(read_json("manifest.json")?)
            .map_err(|e| SchemaError::Bundle(format!("manifest.json: {e}")))?;
        let summaries: Vec<TypeSummary> = serde_json::from_value(read_json("index.json")?)
            .map_err(|e| SchemaError::Bundle(format!("index.json: {e}")))?;
        let mut regions = HashMap::new();
        for region in &manifest.regions {
            let types: BTreeSet<String> =
                serde_json::from_value(read_json(&format!("regions/{region}.json"))?)
                    .map_err(|e| SchemaError::Bundle(format!("regions/{region}.json: {e}")))?;
            regions.insert(region.clone(), types);
        }
        Ok(Registry {
            region_names: manifest.regions.clone(),
            tar,
            entries,
            manifest,
            summaries,
            regions,
            parsed: Mutex::new(HashMap::new()),
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Returns every bundled type, sorted by name.
    pub fn summaries(&self) -> &[TypeSummary] {
        &self.summaries
    }

    /// Finds the types whose name or description contains the text, ignoring case. Types
    /// matched by name come first, then those matched only by description, each group in
    /// name order.
    pub fn search(&self, text: &str) -> Vec<&TypeSummary> {
        let needle = text.to_lowercase();
        let (mut by_name, by_description): (Vec<&TypeSummary>, Vec<&TypeSummary>) = self
            .summaries
            .iter()
            .filter(|summary| {
                summary.type_name.to_lowercase().contains(&needle)
                    || summary.description.to_lowercase().contains(&needle)
            })
            .partition(|summary| summary.type_name.to_lowercase().contains(&needle));
        by_name.extend(by_description);
        by_name
    }

    pub fn contains(&self, type_name: &str) -> bool {
        self.entries.contains_key(&entry_name(type_name))
    }

    /// Returns the parsed schema of a type, parsing it on first use.
    pub fn get(&self, type_name: &str) -> Result<Arc<ResourceSchema>> {
        if let Some(schema) = self
            .parsed
            .lock()
            .expect("schema cache lock")
            .get(type_name)
        {
            return Ok(schema.clone());
        }
        let range = self
            .entries
            .get(&entry_name(type_name))
            .ok_or_else(|| unknown_type(type_name))?;
        let document: serde_json::Value = serde_json::from_slice(&self.tar[range.clone()])
            .map_err(|e| SchemaError::InvalidSchema {
                type_name: type_name.to_string(),
                message: e.to_string(),
            })?;
        let schema = Arc::new(ResourceSchema::from_document(document)?);
        self.parsed
            .lock()
            .expect("schema cache lock")
            .insert(type_name.to_string(), schema.clone());
        Ok(schema)
    }

    /// Returns every region the bundle lists, sorted.
    pub fn regions(&self) -> &[String] {
        &self.region_names
    }

    /// Returns true when the bundle's list for the region contains the type.
    pub fn is_available(&self, type_name: &str, region: &str) -> Result<bool> {
        let types = self
            .regions
            .get(region)
            .ok_or_else(|| SchemaError::UnknownRegion {
                region: region.to_string(),
            })?;
        Ok(types.contains(type_name))
    }
}

fn entry_name(type_name: &str) -> String {
    format!("schemas/{}.json", type_name.replace("::", "__"))
}

fn unknown_type(type_name: &str) -> SchemaError {
    let hint = type_name
        .rsplit("::")
        .next()
        .filter(|last| !last.is_empty())
        .unwrap_or(type_name)
        .to_string();
    SchemaError::UnknownType {
        type_name: type_name.to_string(),
        hint,
    }
}

fn index_tar(tar: &[u8]) -> Result<HashMap<String, Range<usize>>> {
    let mut archive = tar::Archive::new(tar);
    let mut entries = HashMap::new();
    let iter = archive
        .entries()
        .map_err(|e| SchemaError::Bundle(e.to_string()))?;
    for entry in iter {
        let entry = entry.map_err(|e| SchemaError::Bundle(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| SchemaError::Bundle(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let start = entry.raw_file_position() as usize;
        let end = start + entry.size() as usize;
        if end > tar.len() {
            return Err(SchemaError::Bundle(format!(
                "entry {name} runs past the end"
            )));
        }
        entries.insert(name, start..end);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_lists_every_type_once() {
        let registry = Registry::bundled();
        assert_eq!(registry.summaries().len(), registry.manifest().type_count);
        assert!(registry.summaries().len() > 1800);
        assert!(registry.contains("AWS::S3::Bucket"));
        assert!(!registry.contains("AWS::S3::Nope"));
        assert!(registry.manifest().source.contains("cfn-lint"));
    }

    #[test]
    fn unknown_type_suggests_search() {
        let error = Registry::bundled().get("AWS::EC2::Vpc").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("AWS::EC2::Vpc"), "{message}");
        assert!(message.contains("--search Vpc"), "{message}");
    }

    #[test]
    fn search_puts_name_matches_first() {
        let results = Registry::bundled().search("vpc");
        let first_description_only = results
            .iter()
            .position(|summary| !summary.type_name.to_lowercase().contains("vpc"))
            .expect("some type mentions VPCs only in its description");
        assert!(first_description_only > 0);
        assert!(
            results[first_description_only..]
                .iter()
                .all(|summary| !summary.type_name.to_lowercase().contains("vpc"))
        );
        let names: Vec<&str> = results.iter().map(|s| s.type_name.as_str()).collect();
        assert!(names[..first_description_only].contains(&"AWS::EC2::VPC"));
    }

    #[test]
    fn search_ignores_case() {
        let lower = Registry::bundled().search("s3::bucket");
        let upper = Registry::bundled().search("S3::BUCKET");
        assert_eq!(lower.len(), upper.len());
        assert!(lower.iter().any(|s| s.type_name == "AWS::S3::Bucket"));
        assert!(
            Registry::bundled()
                .search("no type has this text")
                .is_empty()
        );
    }

    #[test]
    fn region_availability() {
        let registry = Registry::bundled();
        assert!(registry.is_available("AWS::EC2::VPC", "eu-west-1").unwrap());
        assert!(registry.is_available("AWS::EC2::VPC", "mars-1").is_err());
        let rare = registry
            .summaries()
            .iter()
            .find(|summary| {
                !registry
                    .is_available(&summary.type_name, "ap-south-2")
                    .unwrap()
            })
            .expect("some us-east-1 type is missing from ap-south-2");
        assert!(registry.is_available(&rare.type_name, "us-east-1").unwrap());
    }
}

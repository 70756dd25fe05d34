//! The dependency graph of components, built from subscriptions.
//!
//! An edge runs from a consumer to the producer it subscribes to. Creates and updates run
//! layer by layer in [`DependencyGraph::order`], so a producer exists before anything
//! reads its resource values. Deletes run the layers in reverse, so nothing is deleted
//! while a component that depends on it still exists. When an action fails,
//! [`DependencyGraph::dependents_of`] names the actions to skip.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use crate::{CoreError, Result};

/// Components and the producers each one subscribes to. Iteration follows `K`'s order,
/// so plans come out the same on every run.
#[derive(Debug, Clone)]
pub struct DependencyGraph<K> {
    /// Every node, mapped to the producers it depends on.
    producers: BTreeMap<K, BTreeSet<K>>,
}

impl<K> Default for DependencyGraph<K> {
    fn default() -> Self {
        DependencyGraph {
            producers: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone + Display> DependencyGraph<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node with no edges; adding it again changes nothing.
    pub fn add_node(&mut self, node: K) {
        self.producers.entry(node).or_default();
    }

    /// Records that `consumer` depends on `producer`, adding both nodes.
    pub fn add_edge(&mut self, consumer: K, producer: K) {
        self.add_node(producer.clone());
        self.producers.entry(consumer).or_default().insert(producer);
    }

    /// Lists every node in order.
    pub fn nodes(&self) -> Vec<K> {
        self.producers.keys().cloned().collect()
    }

    /// Lists the producers `node` depends on directly.
    pub fn producers_of(&self, node: &K) -> Vec<K> {
        self.producers
            .get(node)
            .map(|producers| producers.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Returns the members of one cycle in edge order (each depends on the next, and the
    /// last on the first), or `None` when the graph has no cycle. A node that depends on
    /// itself is a cycle of one.
    pub fn find_cycle(&self) -> Option<Vec<K>> {
        let mut finished = BTreeSet::new();
        for start in self.producers.keys() {
            let mut stack = Vec::new();
            if let Some(cycle) = self.cycle_from(start, &mut stack, &mut finished) {
                return Some(cycle);
            }
        }
        None
    }

    /// Searches depth-first from `node`. `stack` is the current path.
    fn cycle_from(
        &self,
        node: &K,
        stack: &mut Vec<K>,
        finished: &mut BTreeSet<K>,
    ) -> Option<Vec<K>> {
        if finished.contains(node) {
            return None;
        }
        if let Some(position) = stack.iter().position(|member| member == node) {
            return Some(rotate_to_least(&stack[position..]));
        }

        stack.push(node.clone());
        for producer in self.producers.get(node).into_iter().flatten() {
            if let Some(cycle) = self.cycle_from(producer, stack, finished) {
                return Some(cycle);
            }
        }
        stack.pop();
        finished.insert(node.clone());
        None
    }

    /// Returns layers in which every node depends only on nodes of earlier layers. The
    /// first layer contains the nodes without producers, and each layer is sorted.
    ///
    /// # Errors
    /// Fails with [`CoreError::DependencyCycle`], naming a cycle's members, when the
    /// graph cannot be ordered.
    pub fn order(&self) -> Result<Vec<Vec<K>>> {
        let mut placed: BTreeSet<K> = BTreeSet::new();
        let mut layers = Vec::new();

        while placed.len() < self.producers.len() {
            let layer: Vec<K> = self
                .producers
                .iter()
                .filter(|(node, _)| !placed.contains(*node))
                .filter(|(_, producers)| producers.iter().all(|producer| placed.contains(producer)))
                .map(|(node, _)| node.clone())
                .collect();
            if layer.is_empty() {
                return Err(self.cycle_error());
            }
            placed.extend(layer.iter().cloned());
            layers.push(layer);
        }
        Ok(layers)
    }

    fn cycle_error(&self) -> CoreError {
        let members = self
            .find_cycle()
            .expect("nodes that cannot be placed lie on or behind a cycle")
            .iter()
            .map(ToString::to_string)
            .collect();
        CoreError::DependencyCycle { members }
    }

    /// Lists every node that depends on `node`, directly or through others, in order and
    /// without `node` itself: the actions to skip when the action on `node` fails.
    pub fn dependents_of(&self, node: &K) -> Vec<K> {
        let mut found: BTreeSet<K> = BTreeSet::new();
        let mut frontier = vec![node.clone()];
        while let Some(current) = frontier.pop() {
            for (consumer, producers) in &self.producers {
                if producers.contains(&current) && found.insert(consumer.clone()) {
                    frontier.push(consumer.clone());
                }
            }
        }
        found.remove(node);
        found.into_iter().collect()
    }
}

/// Rotates a cycle so its least member comes first, which names the same cycle the same
/// way whichever node the search started from.
fn rotate_to_least<K: Ord + Clone>(cycle: &[K]) -> Vec<K> {
    let least = (0..cycle.len())
        .min_by_key(|&index| &cycle[index])
        .unwrap_or(0);
    cycle[least..]
        .iter()
        .chain(&cycle[..least])
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// subnet and gateway use the VPC; the instance uses the subnet.
    fn network() -> DependencyGraph<String> {
        let mut graph = DependencyGraph::new();
        graph.add_edge("subnet".to_string(), "vpc".to_string());
        graph.add_edge("gateway".to_string(), "vpc".to_string());
        graph.add_edge("instance".to_string(), "subnet".to_string());
        graph.add_node("bucket".to_string());
        graph
    }

    #[test]
    fn layers_follow_subscriptions() {
        let layers = network().order().unwrap();
        assert_eq!(
            layers,
            vec![
                vec!["bucket".to_string(), "vpc".to_string()],
                vec!["gateway".to_string(), "subnet".to_string()],
                vec!["instance".to_string()],
            ]
        );
    }

    #[test]
    fn dependents_are_transitive() {
        let graph = network();
        assert_eq!(
            graph.dependents_of(&"vpc".to_string()),
            vec!["gateway", "instance", "subnet"]
        );
        assert_eq!(graph.dependents_of(&"subnet".to_string()), vec!["instance"]);
        assert!(graph.dependents_of(&"instance".to_string()).is_empty());
        assert!(graph.dependents_of(&"bucket".to_string()).is_empty());
    }

    #[test]
    fn cycle_reported_with_members() {
        let mut graph = network();
        graph.add_edge("vpc".to_string(), "instance".to_string());
        assert_eq!(
            graph.find_cycle(),
            Some(vec!["instance".into(), "subnet".into(), "vpc".into()])
        );

        let error = graph.order().unwrap_err();
        assert_eq!(
            error,
            CoreError::DependencyCycle {
                members: vec!["instance".into(), "subnet".into(), "vpc".into()]
            }
        );
        assert!(
            error.to_string().contains("instance -> subnet -> vpc"),
            "{error}"
        );
    }

    #[test]
    fn self_dependency_is_cycle() {
        let mut graph = DependencyGraph::new();
        graph.add_edge("role", "role");
        assert_eq!(graph.find_cycle(), Some(vec!["role"]));
        assert!(graph.order().is_err());
    }

    #[test]
    fn acyclic_graph_has_no_cycle() {
        assert_eq!(network().find_cycle(), None);
        assert!(DependencyGraph::<String>::new().order().unwrap().is_empty());
    }

    #[test]
    fn node_behind_cycle_fails_order() {
        let mut graph = DependencyGraph::new();
        graph.add_edge("a", "b");
        graph.add_edge("b", "a");
        graph.add_edge("c", "a");
        let error = graph.order().unwrap_err();
        assert_eq!(
            error,
            CoreError::DependencyCycle {
                members: vec!["a".into(), "b".into()]
            }
        );
    }
}

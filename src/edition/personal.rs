//! The edition one reader gets: the whole edition's posts, moved to the
//! sections of the categories the reader chose.

use super::keys::fold;
use super::{pick, Edition, Section};

impl Edition {
    /// The edition a reader who chose `categories` gets (empty: all of them).
    ///
    /// Posts keep the caps of the whole edition; a post moves to the first of
    /// its categories the reader chose. Sections keep the edition's order;
    /// a section the edition did not have (because its posts sat in another
    /// one) follows, in the reader's order. Cheap enough to run once per
    /// distinct choice, which is what delivery does (see [`choice_key`]).
    pub fn for_categories(&self, categories: &[String]) -> Edition {
        let wanted: Vec<String> = categories
            .iter()
            .map(|c| fold(c))
            .filter(|c| !c.is_empty())
            .collect();
        if wanted.is_empty() {
            return self.clone();
        }
        let mut sections: Vec<(String, Section)> = Vec::new();
        for section in self.sections.iter().filter(|s| !s.other) {
            for post in &section.items {
                let Some(category) = post.categories.iter().find(|c| wanted.contains(&fold(c)))
                else {
                    continue;
                };
                let key = fold(category);
                let at = match sections.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        let name = self
                            .sections
                            .iter()
                            .find(|s| !s.other && fold(&s.category) == key)
                            .map_or_else(|| category.clone(), |s| s.category.clone());
                        let more = self
                            .sections
                            .iter()
                            .find(|s| !s.other && fold(&s.category) == key)
                            .map_or(0, |s| s.more);
                        sections.push((
                            key.clone(),
                            Section {
                                category: name,
                                other: false,
                                items: Vec::new(),
                                more,
                            },
                        ));
                        sections.len() - 1
                    }
                };
                sections[at].1.items.push(post.clone());
            }
        }
        let rank = |key: &str| {
            self.sections
                .iter()
                .position(|s| !s.other && fold(&s.category) == key)
                .unwrap_or_else(|| {
                    self.sections.len() + wanted.iter().position(|w| w == key).unwrap_or(0)
                })
        };
        sections.sort_by_key(|(key, _)| rank(key));
        // Items keep the edition's order: by rank when it left posts out.
        let ranked = self.sections.iter().any(|s| s.more > 0);
        let sections = sections
            .into_iter()
            .map(|(_, mut s)| {
                if ranked {
                    s.items.sort_by_key(|p| p.rank);
                } else {
                    s.items.sort_by(pick::newest_first);
                }
                s
            })
            .collect();
        Edition {
            id: self.id.clone(),
            window: self.window,
            sections,
            posts_in_window: self.posts_in_window,
        }
    }
}

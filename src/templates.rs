//! One template mechanism for everything people and LLMs read: LLM prompts, builtin draft
//! replies and the inbox panel are minijinja templates under `templates/`, embedded in the binary
//! as defaults (`build.rs`). An operator may override any of them, or add one, from the folder
//! the service file's `templates_dir` names, to change wording without a rebuild. Undefined
//! variables are errors (`UndefinedBehavior::Strict`), so a template cannot silently print
//! nothing; autoescape follows the extension (`*.html.j2` is escaped, `*.txt.j2` is not).

use minijinja::{Environment, UndefinedBehavior};
use std::path::Path;

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
    /// Names that came from the override folder.
    overridden: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template `{0}` does not exist")]
    Missing(String),
    #[error("template `{name}`: {detail}")]
    Render { name: String, detail: String },
    #[error("templates folder {path}: {detail}")]
    Folder { path: String, detail: String },
}

fn describe(e: &minijinja::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!(": {inner}"));
        src = inner.source();
    }
    s
}

impl Templates {
    /// The embedded templates, with every `*.j2` file under `overrides` (when given) replacing
    /// or adding to them. Every template is compiled now, so a broken override fails at start.
    pub fn load(overrides: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        minijinja_embed::load_templates!(&mut env);
        let mut overridden = Vec::new();
        if let Some(dir) = overrides {
            let folder_err = |detail: String| TemplateError::Folder {
                path: dir.display().to_string(),
                detail,
            };
            if !dir.is_dir() {
                return Err(folder_err("is not a folder".into()));
            }
            let mut stack = vec![dir.to_path_buf()];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).map_err(|e| folder_err(e.to_string()))? {
                    let path = entry.map_err(|e| folder_err(e.to_string()))?.path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    if path.extension().is_none_or(|x| x != "j2") {
                        continue;
                    }
                    let name = path
                        .strip_prefix(dir)
                        .map_err(|e| folder_err(e.to_string()))?
                        .to_string_lossy()
                        .replace('\\', "/");
                    let source = std::fs::read_to_string(&path).map_err(|e| folder_err(format!("{name}: {e}")))?;
                    env.add_template_owned(name.clone(), source)
                        .map_err(|e| folder_err(format!("{name}: {}", describe(&e))))?;
                    overridden.push(name);
                }
            }
        }
        let names: Vec<String> = env.templates().map(|(n, _)| n.to_owned()).collect();
        for n in names {
            env.get_template(&n).map_err(|e| TemplateError::Render {
                name: n.clone(),
                detail: describe(&e),
            })?;
        }
        overridden.sort();
        Ok(Templates { env, overridden })
    }

    /// The embedded templates alone (tests, tools).
    pub fn embedded() -> &'static Templates {
        static T: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
        T.get_or_init(|| Templates::load(None).expect("the embedded templates compile (tested)"))
    }

    pub fn has(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }

    /// Names replaced or added by the override folder.
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// Every template name, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.env.templates().map(|(n, _)| n.to_owned()).collect();
        v.sort();
        v
    }

    /// Renders `name` with a serializable context.
    pub fn render<S: serde::Serialize>(&self, name: &str, ctx: &S) -> Result<String, TemplateError> {
        let t = self
            .env
            .get_template(name)
            .map_err(|_| TemplateError::Missing(name.to_owned()))?;
        t.render(minijinja::Value::from(minijinja::value::Serde(ctx)))
            .map_err(|e| TemplateError::Render {
                name: name.to_owned(),
                detail: describe(&e),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_templates_compile_and_overrides_replace_them() {
        let t = Templates::load(None).unwrap();
        assert!(t.has("analyze.system.txt.j2"));
        assert!(t.names().iter().any(|n| n.starts_with("drafts/")));
        let dir = std::env::temp_dir().join(format!("dossier-tpl-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("drafts")).unwrap();
        std::fs::write(dir.join("drafts/extra.en.txt.j2"), "Hello {{ name }}").unwrap();
        let t = Templates::load(Some(&dir)).unwrap();
        assert_eq!(t.overridden(), ["drafts/extra.en.txt.j2"]);
        assert_eq!(
            t.render("drafts/extra.en.txt.j2", &serde_json::json!({"name": "Ana"}))
                .unwrap(),
            "Hello Ana"
        );
        let e = t.render("drafts/extra.en.txt.j2", &serde_json::json!({})).unwrap_err();
        assert!(e.to_string().contains("undefined"), "strict: {e}");
        std::fs::write(dir.join("drafts/broken.en.txt.j2"), "{% if %}").unwrap();
        assert!(Templates::load(Some(&dir)).is_err(), "a broken override fails at start");
        assert!(matches!(t.render("nope", &()), Err(TemplateError::Missing(_))));
    }
}

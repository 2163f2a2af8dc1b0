//! Embeds `templates/` (LLM prompts, draft replies, the inbox panel) into the binary, so a release
//! image needs no template files at run time; `templates_dir` in the service file may override
//! any of them.

fn main() {
    minijinja_embed::embed_templates!("templates");
}

"""The `ldscene` commands, one module each; `ldscene.cli` registers them on its group.

Each module is a thin click layer: it parses flags (shared ones from `options`) and calls the
library modules (render, post, exchange, bom, search ...), importing them when it runs so that
`ldscene --help` stays fast."""

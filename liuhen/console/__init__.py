"""The officers' console (DESIGN §7a): a web application that holds no state of its own
and calls the five services with the signed-in officer's token (docs/console.md)."""

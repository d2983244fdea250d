-- Prosody for docker-compose: one virtual host and the roomgate component.
admins = {}
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "register"; "posix"; }
modules_disabled = { "s2s" }
allow_registration = true
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
network_settings = { nagle = false }
-- Lua 5.4's generational collector: Prosody routes a gateway's stanzas 1.5-2x faster (docs/BENCHMARKS.md)
gc = { mode = "generational" }
component_interfaces = { "*" }
log = { { levels = { min = "info" }, to = "console" } }

VirtualHost "localhost"

Component "gw.localhost"
    component_secret = os.getenv("ROOMGATE_COMPONENT_SECRET") or "change-me"

// Package validate checks the deploy files without Docker or a cluster (issue 15): the compose
// file against the compose-spec JSON schema and compose's own model (compose-go, the library
// docker compose uses), and every Kubernetes manifest by decoding it strictly into the API's Go
// types (k8s.io/api: an unknown or misspelt field, or a value of the wrong type, is an error)
// plus the cross-references a schema cannot see (selectors, named ports, probes, Secrets).
// Run: cd deploy/validate && go test ./...
package validate

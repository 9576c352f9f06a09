package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/connector"
)

// Kind is a connector kind: the config form's JSON Schema and the read-only scopes to grant.
type Kind struct {
	Kind             string         `json:"kind"`
	Authoritative    bool           `json:"authoritative" doc:"The default of a new connector's authoritative flag."`
	Inventory        bool           `json:"inventory" doc:"Runs full (and discovery) syncs."`
	Streams          bool           `json:"streams" doc:"Has event logs to tail."`
	Push             bool           `json:"push" doc:"Takes push deliveries (webhooks)."`
	PushRegistration bool           `json:"push_registration" doc:"Its push hook is registered through the provider's API (POST /api/connectors/{id}/push-hook); otherwise an administrator registers the webhook by hand."`
	ConfigSchema     map[string]any `json:"config_schema" doc:"JSON Schema (2020-12) of the connector's config."`
	Scopes           []string       `json:"scopes" nullable:"false" doc:"The read-only scopes or permissions to grant the credential."`
}

func (a *Admin) registerKinds(api huma.API) {
	operation(a, api, huma.Operation{OperationID: "listKinds", Method: http.MethodGet, Path: "/api/kinds",
		Summary: "Connector kinds with their config schema and scopes", Tags: []string{"connectors"}}, a.listKinds)
}

func (a *Admin) listKinds(_ context.Context, _ *struct{}) (*body[[]Kind], error) {
	out := []Kind{}
	for _, name := range a.Registry.Names() {
		k, err := a.Registry.Lookup(name)
		if err != nil {
			continue
		}
		schema, scopes := kindForm(k)
		out = append(out, Kind{Kind: string(k.Kind), Authoritative: k.Authoritative, Inventory: k.NewSource != nil,
			Streams: k.NewStreams != nil, Push: k.Push != nil, PushRegistration: k.Push != nil && k.Push.Register != nil, ConfigSchema: schema, Scopes: scopes})
	}
	return bodyOf(out), nil
}

// kindForm reads a kind's ConfigSchema and Scopes defensively: a kind without a schema, or with one that is not a
// JSON object, gets an open object schema; no scopes is an empty list.
func kindForm(k connector.Kind) (map[string]any, []string) {
	schema := map[string]any{"type": "object"}
	var m map[string]any
	if len(k.ConfigSchema) > 0 && json.Unmarshal(k.ConfigSchema, &m) == nil && m != nil {
		schema = m
	}
	return schema, append([]string{}, k.Scopes...)
}

package stack

import (
	"strings"
	"testing"
)

// TestRouteThrottles: every route of the HTTP API has its own throttle, the unauthenticated push routes a lower
// one than the admin API, so that they cannot use up its share.
func TestRouteThrottles(t *testing.T) {
	stages := resources("AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages, want the default one", len(stages))
	}
	var stage map[string]any
	for _, s := range stages {
		stage = s
	}
	p := props(stage)
	settings, _ := p["RouteSettings"].(map[string]any)
	rate := func(key string) float64 {
		s, _ := settings[key].(map[string]any)
		r, _ := s["ThrottlingRateLimit"].(float64)
		b, _ := s["ThrottlingBurstLimit"].(float64)
		if r <= 0 || b < r {
			t.Errorf("route %s: rate %v burst %v, want a positive rate and a burst at least as large", key, r, b)
		}
		return r
	}
	routes := resources("AWS::ApiGatewayV2::Route")
	for id, r := range routes {
		key, _ := props(r)["RouteKey"].(string)
		if _, ok := settings[key]; !ok {
			t.Errorf("route %s (%s) has no throttle of its own", key, id)
		}
		if !strings.Contains(asJSON(stage["DependsOn"]), id) {
			t.Errorf("the stage does not depend on route %s, whose settings it names", id)
		}
	}
	admin := rate("ANY " + routeAPI)
	for _, key := range []string{"POST " + routeHooks, "GET " + routeHooks, "GET " + routeHealth} {
		if got := rate(key); got >= admin {
			t.Errorf("%s: %v requests a second, want fewer than the admin API's %v", key, got, admin)
		}
	}
	def, _ := p["DefaultRouteSettings"].(map[string]any)
	if def["ThrottlingRateLimit"] == nil {
		t.Error("no default throttle for routes added later")
	}
}

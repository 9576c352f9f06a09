package outbound

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// EnvAllowedNetworks names the operator setting that lets connectors and alerts reach private networks:
// comma-separated CIDRs (a bare IP means that one address). It is read from the environment (on AWS, the
// stack's AllowedPrivateNetworks parameter sets it), never from the admin API.
const EnvAllowedNetworks = "OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS"

// ConfigFromEnv reads EnvAllowedNetworks through getenv. A malformed entry is an error naming the setting
// and the entry: start-up stops rather than run with a setting the operator did not mean.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	nets, err := ParseNetworks(getenv(EnvAllowedNetworks))
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", EnvAllowedNetworks, err)
	}
	return Config{AllowedNetworks: nets}, nil
}

// ParseNetworks parses comma-separated CIDRs ("10.20.0.0/16, fd00:ec2::/64, 127.0.0.1"); blanks are
// skipped. A CIDR with host bits set ("10.0.0.1/8") is refused: it usually means a typo.
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip, err := netip.ParseAddr(f)
			if err != nil || ip.Zone() != "" {
				errs = append(errs, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or an IP address", f))
				continue
			}
			ip = ip.Unmap()
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", f))
		case p.Masked() != p:
			errs = append(errs, fmt.Errorf("%q has bits set after the prefix length: did you mean %s?", f, p.Masked()))
		case p.Addr().Is4In6():
			errs = append(errs, fmt.Errorf("%q: write IPv4 networks in their IPv4 form", f))
		case p.Bits() == 0:
			errs = append(errs, fmt.Errorf("%q allows every address: name the private networks to allow", f))
		default:
			out = append(out, p)
		}
	}
	return out, errors.Join(errs...)
}

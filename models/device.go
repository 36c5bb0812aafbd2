package models

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"gorm.io/gorm"
)

// A device, for the sessions list and new-device warnings, is a User-Agent
// seen from an address prefix: IPv4 by its /24 and IPv6 by its /48, so a
// phone moving between addresses its provider hands out stays one device
// while the same browser from another network is a new one.

// DevicePrefix is the address prefix a device is recognised by.
func DevicePrefix(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p.String()
}

// KnownDevice reports whether the user has signed in before with this
// User-Agent from this address prefix, and whether they have ever signed in
// at all (a first sign-in has nothing to compare with). Call it before the
// new session is created.
func KnownDevice(ctx context.Context, db *gorm.DB, userID, ip, userAgent string) (known, signedInBefore bool, err error) {
	var seen []Session
	err = db.WithContext(ctx).Model(&Session{}).Distinct("user_agent", "ip").Where("user_id = ?", userID).Find(&seen).Error
	if err != nil {
		return false, false, fmt.Errorf("models: known device: %w", err)
	}
	ua, prefix := truncate(userAgent, 250), DevicePrefix(ip)
	for _, s := range seen {
		if s.UserAgent == ua && DevicePrefix(s.IP) == prefix {
			return true, true, nil
		}
	}
	return false, len(seen) > 0, nil
}

// DeviceLabel names the browser and system of a User-Agent as people say it
// ("Firefox on Linux"), or "Unknown device". It is a label, not a security
// check: a User-Agent says whatever its sender likes.
func DeviceLabel(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	}
	return "Unknown device"
}

package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Redis deployments, as RedisMode returns them.
const (
	RedisStandalone = "standalone" // one server at REDIS_ADDR
	RedisSentinel   = "sentinel"   // the primary the sentinels of REDIS_SENTINEL_ADDRS name
	RedisCluster    = "cluster"    // a Redis Cluster reached through REDIS_CLUSTER_ADDRS
)

// RedisMode says which Redis deployment the configuration names:
// REDIS_SENTINEL_ADDRS selects Sentinel, REDIS_CLUSTER_ADDRS Cluster, and
// otherwise REDIS_ADDR is the one server. Validate refuses both lists at
// once.
func (c Config) RedisMode() string {
	switch {
	case strings.TrimSpace(c.RedisSentinelAddrs) != "":
		return RedisSentinel
	case strings.TrimSpace(c.RedisClusterAddrs) != "":
		return RedisCluster
	}
	return RedisStandalone
}

// RedisSentinelList returns the addresses of REDIS_SENTINEL_ADDRS, trimmed,
// without duplicates or empty entries.
func (c Config) RedisSentinelList() []string { return splitList(c.RedisSentinelAddrs) }

// RedisClusterList returns the addresses of REDIS_CLUSTER_ADDRS, trimmed,
// without duplicates or empty entries.
func (c Config) RedisClusterList() []string { return splitList(c.RedisClusterAddrs) }

// validateRedis checks the Redis variables of the mode they select.
func (c Config) validateRedis() []error {
	var errs []error
	sentinel := strings.TrimSpace(c.RedisSentinelAddrs) != ""
	cluster := strings.TrimSpace(c.RedisClusterAddrs) != ""
	if c.RedisDB < 0 || c.RedisDB > 15 {
		errs = append(errs, fmt.Errorf("REDIS_DB %d is out of range 0..15", c.RedisDB))
	}
	switch {
	case sentinel && cluster:
		errs = append(errs, errors.New("set either REDIS_SENTINEL_ADDRS or REDIS_CLUSTER_ADDRS, not both"))
	case sentinel:
		errs = append(errs, checkAddrs("REDIS_SENTINEL_ADDRS", c.RedisSentinelList())...)
		if strings.TrimSpace(c.RedisSentinelMaster) == "" {
			errs = append(errs, errors.New("REDIS_SENTINEL_MASTER is required with REDIS_SENTINEL_ADDRS"))
		}
	case cluster:
		errs = append(errs, checkAddrs("REDIS_CLUSTER_ADDRS", c.RedisClusterList())...)
		if c.RedisDB != 0 {
			errs = append(errs, fmt.Errorf("REDIS_DB %d: a Redis Cluster has only database 0", c.RedisDB))
		}
	default:
		if strings.TrimSpace(c.RedisAddr) == "" {
			errs = append(errs, errors.New("REDIS_ADDR is required and empty"))
		}
	}
	if !sentinel && (c.RedisSentinelMaster != "" || c.RedisSentinelPassword != "") {
		errs = append(errs, errors.New("REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD need REDIS_SENTINEL_ADDRS"))
	}
	return errs
}

// checkAddrs reports the entries of a host:port list that are not one.
func checkAddrs(name string, addrs []string) []error {
	var errs []error
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", name, a))
		}
	}
	return errs
}

package worker

import "crypto/tls"

func tlsInsecure() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

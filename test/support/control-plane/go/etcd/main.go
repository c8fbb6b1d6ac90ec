// Command etcd is etcd's server entry point, built from go.etcd.io/etcd/server/v3 so the
// project does not depend on etcd's root module (which carries etcdctl and etcdutl too).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

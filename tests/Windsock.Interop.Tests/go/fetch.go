// fetch: GET a URL with net/http and print "LENGTH SHA256" of the body, or "error: ..." and exit 1.
// Built by the windsock run tests twice: CGO_ENABLED=0 (a static program with Go's own resolver)
// and with cgo and -tags netcgo (libc's resolver); neither passes through a preloaded library.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{Proxy: nil}}
	response, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer response.Body.Close()
	hash := sha256.New()
	n, err := io.Copy(hash, response.Body)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("%d %x\n", n, hash.Sum(nil))
}

// Command empty starts and exits: the Go runtime's own start on this machine.
package main

func main() {}

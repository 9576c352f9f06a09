// Package lane holds the lane logic shared by the local runtime and the Lambdas: running a connector's full or
// discovery lane as a resumable, leased sync run (Runner), deciding what is due (Dispatcher), and stepping event
// tails (Tailer). It talks to the database through the small Store interfaces it declares.
package lane

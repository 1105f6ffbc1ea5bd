// The one bundle that inconcert's report.html inlines: graphology (the graph model) and
// sigma.js (its WebGL renderer), exposed as window.InconcertGraph for the report's own script.
import Graph from "graphology";
import Sigma from "sigma";

window.InconcertGraph = { Graph, Sigma };

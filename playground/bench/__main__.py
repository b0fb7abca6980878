from playground.bench.report import main

main()

from playground.evaluate.cli import main

main()

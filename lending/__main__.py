from lending.cli import main

main()

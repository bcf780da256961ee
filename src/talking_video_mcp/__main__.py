from talking_video_mcp.cli import main

raise SystemExit(main())

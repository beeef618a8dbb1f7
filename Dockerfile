# Herald's image: the compiled service, for `herald serve` and `herald worker` (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY templates ./templates
# Build with the dev dependencies (TypeScript), then keep only what runs.
RUN npm ci --include=dev --no-audit --no-fund && npm run build && npm prune --omit=dev
ENV HERALD_DATA_DIR=/data HOST=0.0.0.0 PORT=3000
VOLUME /data
EXPOSE 3000
ENTRYPOINT ["node", "bin/herald.js"]
CMD ["serve"]
